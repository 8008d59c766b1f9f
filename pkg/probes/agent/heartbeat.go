//go:build linux

package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// DefaultSocket is the agent's abstract unix socket (the leading @ is Go's
// notation for the abstract namespace: no file, per network namespace).
const DefaultSocket = "@netcheck-agent"

// handshakeTimeout bounds the run's hello to the agent; the heartbeat is a
// courtesy and must never delay a run.
const handshakeTimeout = time.Second

// Agent keeps the ephemeral container alive while runs are active and exits
// after IdleTimeout without one.
type Agent struct {
	Socket      string
	IdleTimeout time.Duration
	Log         io.Writer
}

// Serve listens on the socket and returns nil once idle for IdleTimeout or when
// ctx is cancelled (SIGTERM). A run holds its connection open for as long as it
// works; the idle clock only runs while no connection is open.
func (a Agent) Serve(ctx context.Context) error {
	ln, err := net.Listen("unix", a.Socket)
	if err != nil {
		return fmt.Errorf("listen on %s (another agent in this netns? give each its own --socket): %w", a.Socket, err)
	}
	defer ln.Close()
	stopReaper := reapChildrenIfInit()
	defer stopReaper()
	a.logf("listening on %s, exits after %s without a run (pid %d)", a.Socket, a.IdleTimeout, os.Getpid())

	done := make(chan struct{})
	defer close(done)
	events := make(chan int)
	var served atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed: Serve is returning
			}
			select {
			case events <- 1:
			case <-done:
				c.Close()
				return
			}
			go func() {
				n := served.Add(1)
				a.hold(c, n)
				select {
				case events <- -1:
				case <-done:
				}
			}()
		}
	}()

	active := 0
	idle := time.NewTimer(a.IdleTimeout)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			a.logf("stopping: %v", context.Cause(ctx))
			return nil
		case d := <-events:
			active += d
			if active > 0 {
				idle.Stop()
			} else {
				idle.Reset(a.IdleTimeout)
			}
		case <-idle.C:
			a.logf("no run for %s after %d runs; exiting", a.IdleTimeout, served.Load())
			return nil
		}
	}
}

// hold answers a run's hello and waits until the run hangs up (or dies: the
// kernel closes its end either way).
func (a Agent) hold(c net.Conn, n int64) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	hello, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	fmt.Fprintf(c, "ok agent pid %d version %s run %d\n", os.Getpid(), version.Version, n)
	a.logf("run %d attached: %s", n, strings.TrimSpace(hello))
	_, _ = io.Copy(io.Discard, c)
}

func (a Agent) logf(format string, args ...any) {
	if a.Log != nil {
		fmt.Fprintf(a.Log, "netcheck-probe agent: "+format+"\n", args...)
	}
}

// Attach connects a run to the agent's heartbeat. The returned closer must stay
// open for the whole run: the open connection is what keeps the agent from
// idling out. info is the agent's greeting.
func Attach(ctx context.Context, socket string) (lease io.Closer, info string, err error) {
	d := net.Dialer{Timeout: handshakeTimeout}
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, "", fmt.Errorf("connect %s: %w", socket, err)
	}
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := fmt.Fprintf(c, "run pid %d\n", os.Getpid()); err != nil {
		c.Close()
		return nil, "", fmt.Errorf("greet agent: %w", err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		return nil, "", fmt.Errorf("agent greeting: %w", err)
	}
	if !strings.HasPrefix(reply, "ok ") {
		c.Close()
		return nil, "", errors.New("agent answered " + strings.TrimSpace(reply))
	}
	_ = c.SetDeadline(time.Time{})
	return c, strings.TrimSpace(reply), nil
}
