package criclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/h2rpc"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// Sandboxes lists every pod sandbox the runtime knows, ready or not, with each
// one's network namespace path and PID from a Verbose PodSandboxStatus. A
// sandbox that disappears between the list and its status is left out.
func (c *Client) Sandboxes(ctx context.Context) ([]cri.Sandbox, error) {
	items, err := c.listPodSandbox(ctx)
	if err != nil {
		return nil, fmt.Errorf("CRI ListPodSandbox on %s: %w", c.endpoint, err)
	}
	out := make([]cri.Sandbox, 0, len(items))
	for _, item := range items {
		sb := cri.Sandbox{
			ID: item.ID, Namespace: item.Namespace, Name: item.Name, UID: item.UID,
			State: item.State, CreatedAt: time.Unix(0, item.CreatedAt),
		}
		if err := c.fillStatus(ctx, &sb); err != nil {
			if h2rpc.IsNotFound(err) {
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
	raw, err := c.conn.Invoke(ctx, methodPodSandboxStatus, encodeStatusRequest(sb.ID, true))
	var resp podSandboxStatusResponse
	if err == nil {
		resp, err = decodePodSandboxStatusResponse(raw)
	}
	if err != nil {
		return fmt.Errorf("CRI PodSandboxStatus %.12s: %w", sb.ID, err)
	}
	if st := resp.Status; resp.HasStatus {
		if st.Name != "" || st.Namespace != "" || st.UID != "" {
			sb.Namespace, sb.Name, sb.UID = st.Namespace, st.Name, st.UID
		}
		sb.State = st.State
		if st.CreatedAt != 0 {
			sb.CreatedAt = time.Unix(0, st.CreatedAt)
		}
	}
	path, err := cri.NetNSPathFromInfo(resp.Info)
	if err != nil {
		return fmt.Errorf("sandbox %.12s: %w", sb.ID, err)
	}
	sb.NetNSPath = path
	if pid, err := cri.PIDFromInfo(resp.Info); err == nil {
		sb.PID = pid
	}
	return nil
}

// listPodSandbox is ListPodSandbox without a filter: every sandbox, any state.
func (c *Client) listPodSandbox(ctx context.Context) ([]podSandbox, error) {
	raw, err := c.conn.Invoke(ctx, methodListPodSandbox, nil)
	if err != nil {
		return nil, err
	}
	return decodeListPodSandboxResponse(raw)
}

// ErrNoSandbox means the runtime has no ready sandbox of the pod.
var ErrNoSandbox = errors.New("the runtime has no ready sandbox of the pod")

// PodSandbox returns the ready sandbox of pod uid with its network namespace
// path and pause PID: a list, then one verbose status.
func (c *Client) PodSandbox(ctx context.Context, uid string) (cri.Sandbox, error) {
	want, err := cri.NormalizePodUID(uid)
	if err != nil {
		return cri.Sandbox{}, err
	}
	items, err := c.listPodSandbox(ctx)
	if err != nil {
		return cri.Sandbox{}, fmt.Errorf("CRI ListPodSandbox on %s: %w", c.endpoint, err)
	}
	for _, item := range items {
		if got, err := cri.NormalizePodUID(item.UID); err != nil || got != want || item.State != cri.SandboxReady {
			continue
		}
		return c.SandboxStatus(ctx, item.ID)
	}
	return cri.Sandbox{}, fmt.Errorf("pod %s: %w (%d sandboxes listed)", uid, ErrNoSandbox, len(items))
}
