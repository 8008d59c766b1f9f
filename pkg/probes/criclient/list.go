package criclient

import (
	"context"
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// ListSandboxes lists every pod sandbox of this node's runtime through the
// probe run's shared client (Shared: the socket, else the kubelet's, else the
// default sockets under hostRoot). It is nsscan's SandboxLister.
func ListSandboxes(ctx context.Context, procRoot, hostRoot, socket string) ([]cri.Sandbox, string, error) {
	c, err := Shared(ctx, Where{ProcRoot: procRoot, HostRoot: hostRoot, Socket: socket})
	if err != nil {
		return nil, "", fmt.Errorf("no container runtime: %w", err)
	}
	sbs, err := c.Sandboxes(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("cri %s: %w", c.Endpoint(), err)
	}
	return sbs, fmt.Sprintf("cri %s at %s (%s): %d sandboxes", c.Runtime(), c.Endpoint(), c.Source(), len(sbs)), nil
}
