package criclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// Where says where a node's runtime socket is looked for.
type Where struct {
	// ProcRoot is the node's procfs, where the kubelet is found; "" is /proc.
	ProcRoot string
	// HostRoot is where the node's filesystem is visible for DefaultSockets,
	// e.g. "/proc/1/root"; "" is the probe's own root.
	HostRoot string
	// Socket, when set, is used as given.
	Socket string
}

// DialNode connects to the runtime of this node: w.Socket if set; else the
// endpoint this node's kubelet uses (FindKubeletRuntime, in the probe's own
// network namespace); else the first of DefaultSockets under w.HostRoot that
// answers. The client's Source says which.
func DialNode(ctx context.Context, w Where) (*Client, error) {
	if w.Socket != "" {
		c, err := Dial(ctx, w.Socket)
		if err == nil {
			c.source = "requested socket"
		}
		return c, err
	}
	var errs []error
	own, err := netns.StatID("/proc/self/ns/net")
	if err == nil {
		var kr KubeletRuntime
		if kr, err = FindKubeletRuntime(w.ProcRoot, own.Ino); err == nil {
			var c *Client
			if c, err = Dial(ctx, kr.Socket); err == nil {
				c.source = fmt.Sprintf("%s of kubelet pid %d", kr.From, kr.PID)
				return c, nil
			}
		}
	}
	errs = append(errs, err)
	c, err := DialDefault(ctx, w.HostRoot)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	return c, nil
}

// SharedDialTimeout bounds the one dial of a probe run: a node without a
// reachable runtime must not slow every check that would have asked it.
const SharedDialTimeout = 2 * time.Second

type sharedDial struct {
	once sync.Once
	c    *Client
	err  error
}

var (
	sharedMu sync.Mutex
	shared   = map[Where]*sharedDial{}
)

// Shared is the probe run's client for w: dialled on first use (bounded by
// SharedDialTimeout, not by ctx's cancellation, since later checks share it),
// then reused by every check; a failed dial is remembered too, so the next
// check falls back at once. Callers must not Close it.
func Shared(ctx context.Context, w Where) (*Client, error) {
	sharedMu.Lock()
	d := shared[w]
	if d == nil {
		d = &sharedDial{}
		shared[w] = d
	}
	sharedMu.Unlock()
	d.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), SharedDialTimeout)
		defer cancel()
		d.c, d.err = DialNode(ctx, w)
	})
	return d.c, d.err
}
