package criclient

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// Sandboxes lists every pod sandbox the runtime knows, ready or not, with each
// one's network namespace path and PID from a Verbose PodSandboxStatus. A
// sandbox that disappears between the list and its status is left out.
func (c *Client) Sandboxes(ctx context.Context) ([]cri.Sandbox, error) {
	resp, err := c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, fmt.Errorf("CRI ListPodSandbox on %s: %w", c.endpoint, err)
	}
	out := make([]cri.Sandbox, 0, len(resp.GetItems()))
	for _, item := range resp.GetItems() {
		sb := cri.Sandbox{
			ID:        item.GetId(),
			Namespace: item.GetMetadata().GetNamespace(),
			Name:      item.GetMetadata().GetName(),
			UID:       item.GetMetadata().GetUid(),
			State:     item.GetState().String(),
			CreatedAt: time.Unix(0, item.GetCreatedAt()),
		}
		if err := c.fillStatus(ctx, &sb); err != nil {
			if status.Code(err) == codes.NotFound {
				continue // removed since the list
			}
			sb.StatusError = err.Error()
		}
		out = append(out, sb)
	}
	return out, nil
}

// SandboxStatus returns one sandbox with its network namespace path and PID.
func (c *Client) SandboxStatus(ctx context.Context, id string) (cri.Sandbox, error) {
	sb := cri.Sandbox{ID: id}
	if err := c.fillStatus(ctx, &sb); err != nil {
		return cri.Sandbox{}, err
	}
	return sb, nil
}

func (c *Client) fillStatus(ctx context.Context, sb *cri.Sandbox) error {
	resp, err := c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sb.ID, Verbose: true})
	if err != nil {
		return fmt.Errorf("CRI PodSandboxStatus %.12s: %w", sb.ID, err)
	}
	if st := resp.GetStatus(); st != nil {
		if md := st.GetMetadata(); md != nil {
			sb.Namespace, sb.Name, sb.UID = md.GetNamespace(), md.GetName(), md.GetUid()
		}
		sb.State = st.GetState().String()
		if st.GetCreatedAt() != 0 {
			sb.CreatedAt = time.Unix(0, st.GetCreatedAt())
		}
	}
	path, err := cri.NetNSPathFromInfo(resp.GetInfo())
	if err != nil {
		return fmt.Errorf("sandbox %.12s: %w", sb.ID, err)
	}
	sb.NetNSPath = path
	if pid, err := cri.PIDFromInfo(resp.GetInfo()); err == nil {
		sb.PID = pid
	}
	return nil
}
