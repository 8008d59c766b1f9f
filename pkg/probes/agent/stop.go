package agent

import (
	"bufio"
	"context"
	"io"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// StopLine is the line on stdin that ends a run's capture-only traces early
// (ProbeRequest.StopOnStdin).
const StopLine = "stop"

// stopOnStdin returns ctx carrying a stop signal (probes.WithStop) that
// closes once in delivers the line StopLine or ends. The end counts too: a
// plugin that closes its side, or an exec transport that cannot carry the
// line but can close stdin, means the same. Other lines are ignored.
func stopOnStdin(ctx context.Context, in io.Reader) context.Context {
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == StopLine {
				return
			}
		}
	}()
	return probes.WithStop(ctx, stop)
}
