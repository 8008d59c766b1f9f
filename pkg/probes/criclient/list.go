package criclient

import (
	"context"
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// ListSandboxes dials the runtime (socket, else the default sockets under
// hostRoot) and lists every pod sandbox. It is the nsscan.SandboxLister of
// builds that carry CRI.
func ListSandboxes(ctx context.Context, hostRoot, socket string) ([]cri.Sandbox, string, error) {
	c, err := DialDefault(ctx, hostRoot, socket)
	if err != nil {
		return nil, "", fmt.Errorf("no container runtime: %w", err)
	}
	defer c.Close()
	sbs, err := c.Sandboxes(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("cri %s: %w", c.Endpoint(), err)
	}
	return sbs, fmt.Sprintf("cri %s (%s): %d sandboxes", c.Endpoint(), c.Runtime(), len(sbs)), nil
}
