package cri

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Sandbox is a pod sandbox as the runtime knows it: the thing that owns a pod's
// network namespace.
type Sandbox struct {
	ID        string
	Namespace string
	Name      string
	UID       string
	// State is "SANDBOX_READY" or "SANDBOX_NOTREADY".
	State     string
	CreatedAt time.Time
	// NetNSPath is the network namespace path on the node ("" for hostNetwork
	// pods, or when the runtime already closed the namespace).
	NetNSPath string
	// PID is the sandbox (pause) process, 0 when there is none (CRI-O without
	// infra container, stopped sandbox).
	PID int
	// StatusError says why the verbose status could not be read; ID and metadata
	// are still valid.
	StatusError string
}

// Ready is true for a running sandbox.
func (s Sandbox) Ready() bool { return s.State == runtimeapi.PodSandboxState_SANDBOX_READY.String() }

// Sandboxes lists every pod sandbox the runtime knows, ready or not, with each
// one's network namespace path and PID from a Verbose PodSandboxStatus. A
// sandbox that disappears between the list and its status is left out.
func (c *Client) Sandboxes(ctx context.Context) ([]Sandbox, error) {
	resp, err := c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, fmt.Errorf("CRI ListPodSandbox on %s: %w", c.endpoint, err)
	}
	out := make([]Sandbox, 0, len(resp.GetItems()))
	for _, item := range resp.GetItems() {
		sb := Sandbox{
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
func (c *Client) SandboxStatus(ctx context.Context, id string) (Sandbox, error) {
	sb := Sandbox{ID: id}
	if err := c.fillStatus(ctx, &sb); err != nil {
		return Sandbox{}, err
	}
	return sb, nil
}

func (c *Client) fillStatus(ctx context.Context, sb *Sandbox) error {
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
	path, err := NetNSPathFromInfo(resp.GetInfo())
	if err != nil {
		return fmt.Errorf("sandbox %.12s: %w", sb.ID, err)
	}
	sb.NetNSPath = path
	if pid, err := PIDFromInfo(resp.GetInfo()); err == nil {
		sb.PID = pid
	}
	return nil
}
