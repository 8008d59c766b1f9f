//go:build e2e

package netcheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// node1OnlyImage is the probe image under a name only node 1's containerd has.
const node1OnlyImage = "localhost/netcheck/netcheck-probe:node1-only"

// One node pod failing must not lose the whole node view: with the probe
// image present on node 1 only (and --image-pull-policy Never, so node 2's
// kubelet answers ErrImageNeverPull at once), the run goes on with node 1's
// view, says node 2 could not be watched and why (which image, how to get it
// there), keeps the near half of the trace, ends inconclusive (exit 2), and
// leaves no netcheck pod anywhere.
func TestNodePartialViewImageOnOneNode(t *testing.T) {
	c := framework.Get(t)
	tagOnNode1(t, c)
	x := newCrossNode(t, c, "partial")

	res := c.Netcheck(t, framework.Context(t, nodeRunTimeout), "-n", x.ns, "client", "--to", "pod/web",
		"--mode", "node", "--image", node1OnlyImage, "--image-pull-policy", "Never", "-o", "json")
	if res.ExitCode != v1alpha1.ExitInconclusive {
		t.Fatalf("exit %d, want %d (inconclusive: node 2 not watched, no fault)", res.ExitCode, v1alpha1.ExitInconclusive)
	}
	rep := decodeReport(t, res.Stdout)
	node1, node2 := lab.Node1.Name, lab.Node2.Name

	// The finding names node 2, the image, and the fix.
	f := requireFinding(t, rep, diagnose.IDNodeViewUnavailable)
	hopNames(t, f, "node "+node2)
	for _, w := range []string{node2, node1OnlyImage, "ErrImageNeverPull"} {
		if !strings.Contains(f.Summary, w) {
			t.Errorf("%s summary lacks %q: %s", f.ID, w, f.Summary)
		}
	}
	for _, w := range []string{"pre-pull", node1OnlyImage, "--image"} {
		if !strings.Contains(f.Fix, w) {
			t.Errorf("%s fix lacks %q: %s", f.ID, w, f.Fix)
		}
	}
	if rep.Verdict.Status != v1alpha1.VerdictInconclusive || !strings.Contains(rep.Verdict.Summary, diagnose.IDNodeViewUnavailable) {
		t.Errorf("verdict %+v", rep.Verdict)
	}
	views := map[string]*v1alpha1.NodeViewState{}
	for _, n := range rep.Nodes {
		views[n.Name] = n.View
	}
	if v := views[node1]; v == nil || v.Status != v1alpha1.NodeWatched {
		t.Errorf("node 1 view %+v, want watched", v)
	}
	if v := views[node2]; v == nil || v.Status != v1alpha1.NodeUnwatched || v.Cause != v1alpha1.CauseImage || v.Image != node1OnlyImage {
		t.Errorf("node 2 view %+v, want unavailable for the image %s", v, node1OnlyImage)
	}

	// Node 1's evidence is all there; nothing claims to come from node 2.
	for _, id := range []string{"nodeinfo:" + node1 + ":before", "nsscan:" + node1, "nodeinfo:" + node1 + ":after"} {
		if r := resultByID(rep, id); r == nil || r.Status == v1alpha1.StatusError {
			t.Errorf("node 1 evidence %s: %+v", id, r)
		}
	}
	for _, r := range rep.Results {
		if r.Vantage == "node "+node2 {
			t.Errorf("result %s from node 2, which nobody watched", r.ID)
		}
	}
	// The pod's own checks ran from node 1 in its netns and passed.
	if tcp := tcpResult(t, rep, x.webAddr()); tcp.Status != v1alpha1.StatusPass || tcp.Vantage != "pod "+x.ns+"/client" {
		t.Errorf("tcp to web: %s from %q", tcp.Status, tcp.Vantage)
	}
	// The near half of the trace: node 1's hops out to its underlay, and a
	// summary that says node 2 could not be watched and why.
	tr := resultByID(rep, "trace:"+x.webAddr())
	if tr == nil || tr.Trace == nil {
		t.Fatalf("no trace to %s", x.webAddr())
	}
	if !strings.Contains(tr.Summary, "node "+node2+" could not be watched") || !strings.Contains(tr.Summary, node1OnlyImage) {
		t.Errorf("trace summary does not say node 2 was not watched: %s", tr.Summary)
	}
	var onNode1 int
	for _, h := range tr.Trace.Hops {
		switch h.Node {
		case node1:
			onNode1++
		default:
			t.Errorf("trace hop %s is on a node nobody watched", h.Label)
		}
	}
	if onNode1 < 4 { // pod, veth, cni0, flannel.1 and the underlay
		t.Errorf("trace has %d hops on node 1, want its whole near half", onNode1)
	}

	for _, w := range []string{"warning: node " + node2 + " cannot be watched", "ErrImageNeverPull"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("progress lacks %q", w)
		}
	}
	noNodePodsLeft(t, c, x.ns)
}

// tagOnNode1 gives the tree's probe image the name node1OnlyImage on node 1
// only, and takes the name away again when the test ends.
func tagOnNode1(t *testing.T, c *framework.Cluster) {
	t.Helper()
	ctx := framework.Context(t, time.Minute)
	if err := c.Lab.TagImage(ctx, lab.Node1, lab.ProbeImage, node1OnlyImage); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Lab.UntagImage(ctx, lab.Node1, node1OnlyImage); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// resultByID is the result with id, nil when the report has none.
func resultByID(rep *v1alpha1.Report, id string) *v1alpha1.CheckResult {
	for i := range rep.Results {
		if rep.Results[i].ID == id {
			return &rep.Results[i]
		}
	}
	return nil
}
