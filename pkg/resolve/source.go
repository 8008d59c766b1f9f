package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// Source finds the source pod: the named pod, or a ready pod of the named
// Deployment. The pod must be Running, since the agent joins its network namespace.
func (r *Resolver) Source(ctx context.Context, spec target.Source) (*corev1.Pod, v1alpha1.Source, error) {
	ns := r.namespaceOr(spec.Namespace)
	var (
		pod  *corev1.Pod
		from string
		err  error
	)
	switch spec.Kind {
	case target.SourceDeployment:
		pod, from, err = r.deploymentPod(ctx, ns, spec.Name)
	default:
		pod, err = r.Client.CoreV1().Pods(ns).Get(ctx, spec.Name, metav1.GetOptions{})
		if err != nil {
			err = fmt.Errorf("get source pod %s/%s: %w", ns, spec.Name, err)
		}
		from = "pod/" + spec.Name
	}
	if err != nil {
		return nil, v1alpha1.Source{}, err
	}
	if err := checkRunning(pod); err != nil {
		return nil, v1alpha1.Source{}, fmt.Errorf("source %s: %w: the agent can only join a running pod's network", spec.Raw, err)
	}
	return pod, SourceInfo(pod, from), nil
}

// SourceInfo describes a pod as the report's Source.
func SourceInfo(pod *corev1.Pod, from string) v1alpha1.Source {
	return v1alpha1.Source{
		Namespace:  pod.Namespace,
		Pod:        pod.Name,
		From:       from,
		Node:       pod.Spec.NodeName,
		PodIPs:     podIPs(pod),
		Containers: Containers(pod),
	}
}

// Containers lists a pod's regular containers with their current state.
func Containers(pod *corev1.Pod) []v1alpha1.Container {
	out := make([]v1alpha1.Container, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		out = append(out, v1alpha1.Container{Name: c.Name, State: "unknown", Image: c.Image})
	}
	for _, cs := range pod.Status.ContainerStatuses {
		for i := range out {
			if out[i].Name == cs.Name {
				out[i].ID = cs.ContainerID
				out[i].State = containerState(cs.State)
			}
		}
	}
	return out
}

func containerState(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running"
	case s.Waiting != nil:
		return "waiting: " + s.Waiting.Reason
	case s.Terminated != nil:
		return "terminated: " + s.Terminated.Reason
	}
	return "unknown"
}

// deploymentPod picks a pod of the Deployment: the first ready one by name, so
// repeated runs land on the same pod (and reuse its agent). Without a ready pod
// it takes a running one, because a failing readiness probe may be the very
// network fault being diagnosed.
func (r *Resolver) deploymentPod(ctx context.Context, ns, name string) (*corev1.Pod, string, error) {
	deploy, err := r.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("get source deployment %s/%s: %w", ns, name, err)
	}
	selector, err := metav1.LabelSelectorAsSelector(deploy.Spec.Selector)
	if err != nil {
		return nil, "", fmt.Errorf("deployment %s/%s has an invalid selector: %w", ns, name, err)
	}
	list, err := r.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, "", fmt.Errorf("list pods of deployment %s/%s: %w", ns, name, err)
	}
	pods := list.Items
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	var running *corev1.Pod
	for i := range pods {
		p := &pods[i]
		if checkRunning(p) != nil {
			continue
		}
		if isReady(p) {
			return p, fmt.Sprintf("deploy/%s (ready pod %s)", name, p.Name), nil
		}
		if running == nil {
			running = p
		}
	}
	if running != nil {
		return running, fmt.Sprintf("deploy/%s (no ready pod; running, not ready pod %s)", name, running.Name), nil
	}
	return nil, "", fmt.Errorf("deployment %s/%s has no running pod (%d pods match its selector %s)", ns, name, len(pods), selector)
}

// TargetContainer picks the container whose process namespace the agent targets:
// the named one (it must exist), or the first running one.
func TargetContainer(pod *corev1.Pod, name string) (string, error) {
	if name != "" {
		for _, c := range pod.Spec.Containers {
			if c.Name == name {
				return name, nil
			}
		}
		return "", fmt.Errorf("pod %s/%s has no container %q (it has %s)", pod.Namespace, pod.Name, name, containerNames(pod))
	}
	for _, c := range pod.Spec.Containers {
		for _, cs := range pod.Status.ContainerStatuses {
			if cs.Name == c.Name && cs.State.Running != nil {
				return c.Name, nil
			}
		}
	}
	return "", fmt.Errorf("pod %s/%s has no running container (it has %s)", pod.Namespace, pod.Name, containerNames(pod))
}

func containerNames(pod *corev1.Pod) string {
	names := make([]string, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}
