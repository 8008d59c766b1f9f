package podnetns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/h2rpc"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/criclient"
)

// criTimeout bounds the runtime calls of one lookup (the dial has its own,
// shorter bound: criclient.SharedDialTimeout).
const criTimeout = 5 * time.Second

// openByRuntime opens the namespace of ref's container or pod: through the
// PID the container runtime reports over CRI, else through the processes the
// cgroup scan finds. Via says which, and why CRI was not used.
func openByRuntime(procRoot string, ref v1alpha1.NetnsRef) (*Target, []int, error) {
	what := "pod " + ref.PodUID
	if ref.ContainerID != "" {
		what = "container " + shortID(ref.ContainerID)
	}
	pid, runtime, criErr := pidFromCRI(procRoot, ref)
	if criErr == nil {
		t, err := openFirst(procRoot, []int{pid}, what)
		if err == nil {
			t.Via = "cri " + runtime
			if ref.ContainerID != "" {
				return t, []int{pid}, nil
			}
			// The pause process has no resolv.conf: other processes in the
			// pod's namespace (the app containers) may.
			return t, processesIn(procRoot, t.NS.ID()), nil
		}
		criErr = err
	}
	var pids []int
	var err error
	if ref.ContainerID != "" {
		pids, err = cri.ContainerPIDs(procRoot, ref.ContainerID)
	} else {
		pids, err = cri.PodPIDs(procRoot, ref.PodUID)
	}
	if err != nil {
		return nil, nil, notOnNode(what, procRoot, errors.Join(err, fmt.Errorf("cri: %w", criErr)))
	}
	t, err := openFirst(procRoot, pids, what)
	if err != nil {
		return nil, nil, err
	}
	t.Via = "cgroup scan (cri: " + brief(criErr) + ")"
	return t, pids, nil
}

// pidFromCRI asks the runtime (the probe run's shared client) for the
// container's PID or the pod's ready sandbox's pause PID.
func pidFromCRI(procRoot string, ref v1alpha1.NetnsRef) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), criTimeout)
	defer cancel()
	c, err := criclient.Shared(ctx, criclient.Where{ProcRoot: procRoot, HostRoot: procRoot + "/1/root", Socket: ref.CRISocket})
	if err != nil {
		return 0, "", fmt.Errorf("unreachable: %w", err)
	}
	if ref.ContainerID != "" {
		pid, err := c.ContainerPID(ctx, ref.ContainerID)
		return pid, c.Runtime(), err
	}
	sb, err := c.PodSandbox(ctx, ref.PodUID)
	if err != nil {
		return 0, "", err
	}
	if sb.PID <= 0 {
		return 0, "", fmt.Errorf("sandbox %.13s reports no pause PID (netns %q)", sb.ID, sb.NetNSPath)
	}
	return sb.PID, c.Runtime(), nil
}

// brief is why CRI was not used, for a one-line label: the common answers
// in words, anything else as its first line, bounded.
func brief(err error) string {
	switch {
	case errors.Is(err, criclient.ErrNoSandbox):
		return "no ready sandbox of the pod"
	case h2rpc.IsNotFound(err):
		return "the runtime does not know the container"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
