package criclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

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

// maxMsgSize matches the kubelet's CRI client: ListPodSandbox on a busy node
// exceeds gRPC's 4 MiB default.
const maxMsgSize = 16 << 20

// Client is a CRI RuntimeService client over a unix socket.
type Client struct {
	conn     *grpc.ClientConn
	rt       runtimeapi.RuntimeServiceClient
	endpoint string
	runtime  string
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
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize)))
	if err != nil {
		return nil, fmt.Errorf("CRI client for %s: %w", target, err)
	}
	c := &Client{conn: conn, rt: runtimeapi.NewRuntimeServiceClient(conn), endpoint: target}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialTimeout)
		defer cancel()
	}
	v, err := c.rt.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("CRI Version on %s (is this a CRI runtime socket, and may this process open it?): %w", target, err)
	}
	c.runtime = v.GetRuntimeName() + " " + v.GetRuntimeVersion()
	return c, nil
}

// DialDefault connects to override when set, else to the first of
// DefaultSockets (looked up under hostRoot, e.g. "/proc/1/root", symlinks
// resolved inside it) that answers.
// The error lists why each candidate failed.
func DialDefault(ctx context.Context, hostRoot, override string) (*Client, error) {
	if override != "" {
		return Dial(ctx, override)
	}
	var errs []error
	for _, s := range DefaultSockets {
		p, err := netns.HostPath(hostRoot, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := Dial(ctx, p)
		if err == nil {
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
	resp, err := c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		return 0, fmt.Errorf("CRI ContainerStatus %.12s: %w", id, err)
	}
	pid, err := cri.PIDFromInfo(resp.GetInfo())
	if err != nil {
		return 0, fmt.Errorf("container %.12s (state %s): %w", id, resp.GetStatus().GetState(), err)
	}
	return pid, nil
}
