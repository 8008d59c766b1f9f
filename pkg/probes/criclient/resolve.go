package criclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// How a PID was found.
const (
	ViaCRI    = "cri"
	ViaCgroup = "cgroup"
)

// Resolver maps a container ID to its init PID: over CRI when a client is
// available, else (or when CRI fails) by scanning ProcRoot/*/cgroup.
type Resolver struct {
	// Client is optional: nil means the runtime socket is out of reach.
	Client *Client
	// ProcRoot is the node's procfs; "" means /proc.
	ProcRoot string
}

// ContainerPID returns the container's init PID and how it was found.
func (r Resolver) ContainerPID(ctx context.Context, containerID string) (int, string, error) {
	procRoot := r.ProcRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	var criErr error
	if r.Client != nil {
		pid, err := r.Client.ContainerPID(ctx, containerID)
		if err == nil {
			return pid, ViaCRI, nil
		}
		criErr = err
	}
	pid, err := cri.FindPIDByCgroup(procRoot, containerID)
	if err != nil {
		return 0, "", fmt.Errorf("find PID of container %s: %w", containerID, errors.Join(criErr, err))
	}
	return pid, ViaCgroup, nil
}
