//go:build e2e

package netcheck

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
)

// The far halves of the traces stop capturing once the sender is done, told
// over the exec's stdin through the real API server and kubelet, instead of
// capturing their whole window; what they captured still completes the
// traces (TestNodeModeHealthy checks the hops).
func TestNodeFarCaptureStopsWithTheSender(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "farstop", nil)
	createReady(t, c, ns, framework.EchoPod("web", lab.Node2.Name), framework.EchoPod("client", lab.Node1.Name, "-idle"))
	ctx := framework.Context(t, nodeModeTimeout)

	res := c.Netcheck(t, ctx, "-n", ns, "client", "--to", "pod/web", "--mode", "node", "-o", "ndjson")
	if res.ExitCode != v1alpha1.ExitOK {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", res.ExitCode, v1alpha1.ExitOK, res.Stderr)
	}
	window := plan.TraceOptions{}.CaptureWindow()
	far := 0
	for _, line := range nonEmptyLines(res.Stdout) {
		ev, err := v1alpha1.DecodeEvent([]byte(line))
		if err != nil {
			t.Fatalf("-o ndjson line is not an event: %v\n%s", err, line)
		}
		r := ev.Result
		if ev.Type != v1alpha1.EventResult || r == nil || r.Check != v1alpha1.CheckTrace || !strings.HasSuffix(r.ID, "@"+lab.Node2.Name) {
			continue
		}
		far++
		if r.Status != v1alpha1.StatusPass || r.Trace == nil || !r.Trace.StoppedOnRequest {
			t.Errorf("far half %s: %s %s, trace %v: want a capture stopped on request", r.ID, r.Status, r.Summary, r.Trace != nil)
			continue
		}
		t.Logf("far half %s captured %.0f ms (window %s)", r.ID, r.DurationMillis, window)
		if r.DurationMillis >= float64(window.Milliseconds()) {
			t.Errorf("far half %s captured %.0f ms, its whole window %s", r.ID, r.DurationMillis, window)
		}
	}
	if far != 2 {
		t.Errorf("%d far trace halves on %s in the events, want the TCP and the ICMP trace's", far, lab.Node2.Name)
	}
}
