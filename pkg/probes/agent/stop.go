package agent

import (
	"bufio"
	"context"
	"io"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// stopOnStdin returns ctx carrying a probes.Stop fed by in: the line
// v1alpha1.StopLine requests it (the plugin says the sender is done); the end
// of in abandons it (the plugin hung up, or a transport closed stdin), which
// ends the captures as well but vouches for nothing. Other lines are ignored.
func stopOnStdin(ctx context.Context, in io.Reader) context.Context {
	stop := probes.NewStop()
	go func() {
		defer stop.Abandon() // no-op after Request
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == v1alpha1.StopLine {
				stop.Request()
				return
			}
		}
	}()
	return probes.WithStop(ctx, stop)
}
