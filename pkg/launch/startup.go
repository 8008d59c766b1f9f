package launch

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// Startup follows a just-added agent until the kubelet reports it running or
// failing for good (WaitRunning in the background).
//
// The kubelet reports a started container at its next relist, up to a second
// after the container runtime started it, while exec works from that start:
// so callers exec at once, retry while the kubelet answers that the container
// is not there yet, and use Startup only to learn that the agent cannot start
// (image missing, ...) or did not start within the timeout.
type Startup struct {
	done chan struct{}
	err  error
}

// follow starts following container name of pod; it stops when ctx ends.
func follow(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, name string, timeout time.Duration) *Startup {
	s := &Startup{done: make(chan struct{})}
	go func() {
		_, s.err = WaitRunning(ctx, client, pod, name, timeout)
		close(s.done)
	}()
	return s
}

// Done is closed once the agent runs or cannot; Err then says which.
func (s *Startup) Done() <-chan struct{} { return s.done }

// Err is nil once the agent runs, and why it cannot run otherwise (an
// *AgentError, a timeout, or ctx's end). Call it after Done is closed.
func (s *Startup) Err() error { return s.err }

// Wait blocks until the agent runs (nil), cannot run, or ctx ends.
func (s *Startup) Wait(ctx context.Context) error {
	select {
	case <-s.done:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
