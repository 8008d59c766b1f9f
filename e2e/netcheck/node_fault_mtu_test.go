//go:build e2e

package netcheck

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #4: node 2's flannel.1 MTU lowered below node 1's. The hop MTU table
// of the trace shows it and the finding names node 2's flannel.1.
func TestNodeFaultFlannelMTU(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "flannelmtu")
	faults.MTU(t, lab.Node2.NetnsPath(), "flannel.1", 1400)

	rep := netcheckNode(t, c, flannelMTUExit, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
	f := requireFinding(t, rep, diagnose.IDOverlayMTUMismatch)
	hopNames(t, f, lab.Node2.Name, "flannel.1", "1400")
	mentions(t, f, lab.Node1.Name)
	evidenceHas(t, f, "hop MTUs:", lab.Node2.Name+"/flannel.1 1400")

	tr := traceTo(rep, x.webAddr())
	if tr == nil {
		t.Fatalf("no trace to %s", x.webAddr())
	}
	found := false
	for _, h := range tr.Hops {
		if h.Node == lab.Node2.Name && strings.HasSuffix(h.Label, "flannel.1") {
			found = true
			if h.MTU != 1400 {
				t.Errorf("trace hop %s MTU %d, want 1400", h.Label, h.MTU)
			}
		}
	}
	if !found {
		t.Errorf("the trace has no hop on %s's flannel.1", lab.Node2.Name)
	}
}

// flannelMTUExit is what the run exits with: set from what the cluster showed
// (see the comment in the report).
const flannelMTUExit = v1alpha1.ExitOK
