package launch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// DefaultTimeout bounds the wait for an agent to run (--timeout).
const DefaultTimeout = 60 * time.Second

// WaitRunning watches pod until its ephemeral container name runs, fails for good,
// or timeout passes. It watches instead of polling so the run continues the
// moment kubelet reports the container started.
func WaitRunning(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, name string, timeout time.Duration) (*corev1.Pod, error) {
	return watchPod(ctx, client, pod, timeout, podWait{
		what:     fmt.Sprintf("agent %s in pod %s/%s", name, pod.Namespace, pod.Name),
		done:     func(p *corev1.Pod) (bool, error) { return AgentState(p, name) },
		describe: func(p *corev1.Pod) string { return describeState(p.Status.EphemeralContainerStatuses, name) },
	})
}

// podWait is what watchPod waits for: done decides from each version of the
// pod, describe says where it was when the time ran out.
type podWait struct {
	what     string
	done     func(*corev1.Pod) (bool, error)
	describe func(*corev1.Pod) string
}

// watchPod watches pod until w.done says it is done or failed, or timeout passes.
func watchPod(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, timeout time.Duration, w podWait) (*corev1.Pod, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if done, err := w.done(pod); done || err != nil {
		return pod, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	selector := fields.OneTermEqualSelector("metadata.name", pod.Name).String()
	pods := client.CoreV1().Pods(pod.Namespace)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = selector
			return pods.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = selector
			return pods.Watch(ctx, o)
		},
	}
	last := pod
	// The wrapper tells the reflector when the client (the fake in unit tests)
	// cannot stream its initial list, so it lists instead.
	ev, err := watchtools.UntilWithSync(ctx, cache.ToListWatcherWithWatchListSemantics(lw, client), &corev1.Pod{}, nil, func(ev watch.Event) (bool, error) {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || p.Name != pod.Name {
			return false, nil
		}
		if ev.Type == watch.Deleted {
			return false, fmt.Errorf("pod %s/%s was deleted while %s started", p.Namespace, p.Name, w.what)
		}
		last = p
		return w.done(p)
	})
	if err != nil {
		if parent.Err() != nil {
			return nil, fmt.Errorf("waiting for %s: %w", w.what, parent.Err())
		}
		if wait.Interrupted(err) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s waiting for %s to run (%s): raise --timeout if the image is slow to pull",
				timeout, w.what, w.describe(last))
		}
		return nil, err
	}
	return ev.Object.(*corev1.Pod), nil
}

// AgentState says whether ephemeral container name of pod runs (true), has
// failed for good (error), or is still starting (false, nil).
func AgentState(pod *corev1.Pod, name string) (bool, error) {
	for _, st := range pod.Status.EphemeralContainerStatuses {
		if st.Name == name {
			return containerState(pod, st, imageOf(pod, name, st.Image))
		}
	}
	return false, nil
}

// containerState judges one container status of pod: running, failed for
// good, or still starting.
func containerState(pod *corev1.Pod, st corev1.ContainerStatus, image string) (bool, error) {
	switch {
	case st.State.Running != nil:
		return true, nil
	case st.State.Terminated != nil:
		t := st.State.Terminated
		return false, &AgentError{Pod: pod.Namespace + "/" + pod.Name, Node: pod.Spec.NodeName, Container: st.Name,
			Image: firstNonEmpty(st.Image, image), Reason: t.Reason, Message: fmt.Sprintf("exited with code %d: %s", t.ExitCode, strings.TrimSpace(t.Message))}
	case st.State.Waiting != nil && fatalWaiting[st.State.Waiting.Reason]:
		w := st.State.Waiting
		return false, &AgentError{Pod: pod.Namespace + "/" + pod.Name, Node: pod.Spec.NodeName, Container: st.Name,
			Image: image, Reason: w.Reason, Message: w.Message}
	}
	return false, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// fatalWaiting are the waiting reasons kubelet will not get past by itself
// within a diagnostic run's patience.
var fatalWaiting = map[string]bool{
	"ErrImageNeverPull":          true,
	"ErrImagePull":               true,
	"ImagePullBackOff":           true,
	"InvalidImageName":           true,
	"CreateContainerError":       true,
	"CreateContainerConfigError": true,
	"RunContainerError":          true,
	"PreCreateHookError":         true,
	"PreStartHookError":          true,
}

func imageOf(pod *corev1.Pod, name, fallback string) string {
	for _, ec := range pod.Spec.EphemeralContainers {
		if ec.Name == name {
			return ec.Image
		}
	}
	return fallback
}

func describeState(statuses []corev1.ContainerStatus, name string) string {
	for _, st := range statuses {
		if st.Name == name && st.State.Waiting != nil {
			return "last state: waiting, " + st.State.Waiting.Reason
		}
	}
	return noReport
}

const noReport = "kubelet has not reported the container yet"

// AgentError is an agent that cannot run, with the fix the user needs.
type AgentError struct {
	Pod, Node, Container, Image string
	Reason, Message             string
}

// ImageUnavailable: the kubelet cannot have the agent's image on the node
// (not there, not pullable, or not a valid reference).
func (e *AgentError) ImageUnavailable() bool {
	switch e.Reason {
	case "ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
		return true
	}
	return false
}

func (e *AgentError) Error() string {
	switch e.Reason {
	case "ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff":
		return fmt.Sprintf("image %s is not present on node %s (%s); load it onto the node or use --image (or --registry for a mirror)",
			e.Image, e.Node, e.Reason)
	case "InvalidImageName":
		return fmt.Sprintf("image reference %q is invalid: fix --image or --registry", e.Image)
	}
	msg := fmt.Sprintf("agent %s in pod %s (node %s) cannot run: %s", e.Container, e.Pod, e.Node, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if strings.Contains(e.Message, "non-root") || strings.Contains(e.Message, "runAsNonRoot") {
		msg += "; the agent needs root: check from the node (node mode) or exempt this pod from the non-root policy"
	} else if strings.Contains(e.Message, "no such file") || strings.Contains(e.Message, "executable file not found") {
		msg += fmt.Sprintf("; %s does not look like a netcheck-probe image (kubectl netcheck image prints the right one)", e.Image)
	}
	return msg
}
