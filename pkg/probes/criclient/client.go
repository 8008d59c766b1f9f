package criclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/h2rpc"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// DefaultSockets are the CRI runtime sockets tried in order when none is given:
// containerd, CRI-O, and k3s's embedded containerd.
var DefaultSockets = []string{
	"/run/containerd/containerd.sock",
	"/run/crio/crio.sock",
	"/run/k3s/containerd/containerd.sock",
}

// dialTimeout bounds the Version handshake when the caller's context has no deadline.
const dialTimeout = 5 * time.Second

// Client is a CRI RuntimeService client over a unix socket.
type Client struct {
	conn     *h2rpc.Conn
	endpoint string
	runtime  string
	source   string
}

// Dial connects to the CRI runtime at endpoint ("/run/containerd/containerd.sock"
// or "unix:///run/containerd/containerd.sock") and checks that it answers
// Version, so a wrong socket fails here rather than at first use.
func Dial(ctx context.Context, endpoint string) (*Client, error) {
	path := strings.TrimPrefix(endpoint, "unix://")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("CRI socket %s: %w", path, err)
	}
	target := "unix://" + path
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialTimeout)
		defer cancel()
	}
	conn, err := h2rpc.Dial(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("CRI connection to %s: %w", target, err)
	}
	c := &Client{conn: conn, endpoint: target}
	resp, err := conn.Invoke(ctx, methodVersion, encodeVersionRequest())
	var v versionResponse
	if err == nil {
		v, err = decodeVersionResponse(resp)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("CRI Version on %s (is this a CRI runtime socket, and may this process open it?): %w", target, err)
	}
	c.runtime = v.RuntimeName + " " + v.RuntimeVersion
	return c, nil
}

// DialDefault connects to the first of DefaultSockets (looked up under
// hostRoot, e.g. "/proc/1/root", symlinks resolved inside it) that answers.
// The error lists why each candidate failed.
func DialDefault(ctx context.Context, hostRoot string) (*Client, error) {
	var errs []error
	for _, s := range DefaultSockets {
		p, err := netns.HostPath(hostRoot, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := Dial(ctx, p)
		if err == nil {
			c.source = "default socket"
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("no CRI runtime socket answered: %w", errors.Join(errs...))
}

// Endpoint is the socket URL the client talks to.
func (c *Client) Endpoint() string { return c.endpoint }

// Runtime is the runtime's name and version, e.g. "containerd v2.1.4".
func (c *Client) Runtime() string { return c.runtime }

// Source says how the socket was found, e.g. "kubelet config
// /etc/kubernetes/kubelet.yaml of kubelet pid 812"; "" for a plain Dial.
func (c *Client) Source() string { return c.source }

// Close closes the connection.
func (c *Client) Close() error {
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("close CRI connection %s: %w", c.endpoint, err)
	}
	return nil
}

// ContainerPID returns the host PID of a running container's init process from
// a Verbose ContainerStatus. id may carry the "containerd://" scheme.
func (c *Client) ContainerPID(ctx context.Context, id string) (int, error) {
	if i := strings.Index(id, "://"); i >= 0 {
		id = id[i+3:]
	}
	raw, err := c.conn.Invoke(ctx, methodContainerStatus, encodeStatusRequest(id, true))
	var resp containerStatusResponse
	if err == nil {
		resp, err = decodeContainerStatusResponse(raw)
	}
	if err != nil {
		return 0, fmt.Errorf("CRI ContainerStatus %.12s: %w", id, err)
	}
	pid, err := cri.PIDFromInfo(resp.Info)
	if err != nil {
		return 0, fmt.Errorf("container %.12s (state %s): %w", id, resp.State, err)
	}
	return pid, nil
}
