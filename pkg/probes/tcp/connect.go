//go:build linux

package tcp

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Outcome is what one connect saw.
type Outcome struct {
	Outcome v1alpha1.TCPOutcome
	// Errno is the symbolic errno ("ECONNREFUSED"), or a short reason for errors without one.
	Errno     string
	Latency   time.Duration
	LocalAddr string
}

// Connect makes one TCP connect to addr from the calling thread's network
// namespace and closes it at once. A connect that outlives timeout (or ctx) is a
// timeout: nothing came back for the SYN.
func Connect(ctx context.Context, addr string, timeout time.Duration) Outcome {
	d := net.Dialer{Timeout: timeout}
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", addr)
	lat := time.Since(start)
	if err == nil {
		local := conn.LocalAddr().String()
		_ = conn.Close()
		return Outcome{Outcome: v1alpha1.TCPOK, Latency: lat, LocalAddr: local}
	}
	o, errno := Classify(err)
	return Outcome{Outcome: o, Errno: errno, Latency: lat}
}

// Classify maps a dial error onto an outcome and the symbolic errno.
func Classify(err error) (v1alpha1.TCPOutcome, string) {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		name := unix.ErrnoName(errno)
		if name == "" {
			name = errno.Error()
		}
		switch errno {
		case unix.ECONNREFUSED:
			return v1alpha1.TCPRefused, name
		case unix.ECONNRESET:
			return v1alpha1.TCPReset, name
		case unix.EHOSTUNREACH, unix.ENETUNREACH:
			return v1alpha1.TCPUnreachable, name
		case unix.ETIMEDOUT:
			return v1alpha1.TCPTimeout, name
		}
		return v1alpha1.TCPError, name
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return v1alpha1.TCPTimeout, "ETIMEDOUT"
	}
	if errors.Is(err, context.Canceled) {
		return v1alpha1.TCPError, "canceled"
	}
	return v1alpha1.TCPError, err.Error()
}
