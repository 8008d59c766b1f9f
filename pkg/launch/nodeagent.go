package launch

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// NodePodDeleteTimeout bounds the delete of a node pod. The delete runs on a
// fresh context, because the run's own may already be cancelled (Ctrl-C,
// timeout): a privileged hostNetwork pod must not outlive the run that made it.
const NodePodDeleteTimeout = 15 * time.Second

// StartNodeAgent creates the node pod for node in namespace (NodeAgentPod with
// NodeProfile) and waits until its agent runs. On any failure after the
// create, including ctx ending, the pod is deleted before it returns: the
// caller only ever has to delete agents it got back.
func (l *Launcher) StartNodeAgent(ctx context.Context, namespace, node string, spec AgentSpec) (Agent, error) {
	pod, err := NodeAgentPod(namespace, node, spec, NodeProfile{})
	if err != nil {
		return Agent{}, err
	}
	agent := Agent{Namespace: namespace, Pod: pod.Name, Container: NodeAgentContainer, Node: node, Socket: NodeAgentSocket(pod.Name)}
	l.infof("creating node pod %s/%s on node %s (%s)", namespace, pod.Name, node, spec.Image)
	created, err := l.Client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if ctx.Err() != nil || !createRejected(err) {
			// Cancelled, timed out or cut off in flight: the API server may
			// have created it anyway, and only this run knows its name.
			_ = l.DeleteNodeAgent(agent)
		}
		return Agent{}, &NodePodError{PodNamespace: namespace, PodName: pod.Name, Node: node, Err: err}
	}
	if _, err := WaitNodeAgent(ctx, l.Client, created, l.Timeout); err != nil {
		_ = l.DeleteNodeAgent(agent)
		var agentErr *AgentError
		if ctx.Err() == nil && !errors.As(err, &agentErr) {
			// Still starting when the time ran out: a NotReady node explains why.
			err = notReady(ctx, l.Client, node, err)
		}
		return Agent{}, err
	}
	l.infof("node pod %s/%s runs on node %s", namespace, pod.Name, node)
	return agent, nil
}

// createRejected: the API server answered a create with a refusal, so no pod
// was made (and a pod of that name, if one exists, is not this run's).
func createRejected(err error) bool {
	return apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) || apierrors.IsInvalid(err) ||
		apierrors.IsBadRequest(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) ||
		apierrors.IsMethodNotSupported(err)
}

// DeleteNodeAgent deletes a node pod at once (grace period 0) on a fresh
// context bounded by NodePodDeleteTimeout, and returns once the API server has
// accepted the delete. A pod already gone is not an error.
func (l *Launcher) DeleteNodeAgent(agent Agent) error {
	ctx, cancel := context.WithTimeout(context.Background(), NodePodDeleteTimeout)
	defer cancel()
	err := l.Client.CoreV1().Pods(agent.Namespace).Delete(ctx, agent.Pod,
		metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		l.infof("warning: could not delete node pod %s/%s: %v; delete it with `kubectl delete pod -n %s %s` (its active deadline stops it otherwise)",
			agent.Namespace, agent.Pod, err, agent.Namespace, agent.Pod)
		return fmt.Errorf("delete node pod %s/%s: %w", agent.Namespace, agent.Pod, err)
	}
	l.infof("deleted node pod %s/%s", agent.Namespace, agent.Pod)
	return nil
}

// WaitNodeAgent watches a node pod until its agent container runs, fails for
// good (image missing, rejected by the kubelet, exited), or timeout passes.
func WaitNodeAgent(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, timeout time.Duration) (*corev1.Pod, error) {
	return watchPod(ctx, client, pod, timeout, podWait{
		what: fmt.Sprintf("node pod %s/%s on node %s", pod.Namespace, pod.Name, pod.Spec.NodeName),
		done: NodeAgentState,
		describe: func(p *corev1.Pod) string {
			if s := describeState(p.Status.ContainerStatuses, NodeAgentContainer); s != noReport {
				return s
			}
			return "pod " + string(p.Status.Phase) + ", kubelet has not reported the container yet"
		},
	})
}

// NodeAgentState says whether a node pod's agent runs (true), has failed for
// good (error), or is still starting (false, nil).
func NodeAgentState(pod *corev1.Pod) (bool, error) {
	switch pod.Status.Phase {
	case corev1.PodFailed, corev1.PodSucceeded:
		// The kubelet refused it (OutOfcpu, NodeAffinity, ...) or it already ended.
		for _, st := range pod.Status.ContainerStatuses {
			if st.Name == NodeAgentContainer && st.State.Terminated != nil {
				_, err := containerState(pod, st, spec(pod).Image)
				return false, err
			}
		}
		return false, &AgentError{Pod: pod.Namespace + "/" + pod.Name, Node: pod.Spec.NodeName, Container: NodeAgentContainer,
			Image: spec(pod).Image, Reason: firstNonEmpty(pod.Status.Reason, string(pod.Status.Phase)), Message: pod.Status.Message}
	}
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == NodeAgentContainer {
			return containerState(pod, st, spec(pod).Image)
		}
	}
	return false, nil
}

// spec is the node pod's agent container.
func spec(pod *corev1.Pod) corev1.Container {
	for _, c := range pod.Spec.Containers {
		if c.Name == NodeAgentContainer {
			return c
		}
	}
	return corev1.Container{}
}

// NodePodError is a node pod the API server would not create, so error
// translation can name the namespace (Pod Security) and the workload.
type NodePodError struct {
	PodNamespace, PodName, Node string
	Err                         error
}

func (e *NodePodError) Error() string {
	return fmt.Sprintf("create node pod %s/%s for node %s: %v", e.PodNamespace, e.PodName, e.Node, e.Err)
}

func (e *NodePodError) Unwrap() error { return e.Err }

// Namespace, Subresource and Workload let kube.Explain name the failed request.
func (e *NodePodError) Namespace() string   { return e.PodNamespace }
func (e *NodePodError) Subresource() string { return "" }
func (e *NodePodError) Workload() string    { return "node pod" }
