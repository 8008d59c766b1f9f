//go:build e2e

package netcheck

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #4: node 2's conntrack table is full. The client's SYNs cross the
// overlay and die in node 2's netfilter, which has no entry left to track
// them ("nf_conntrack: table full, dropping packet"): connects to pod/web time
// out. The finding names node 2 with its count at the max and the drops of
// the run, and is the only fault: the trace that saw the SYNs vanish on
// node 2 is its evidence, not a trace-dropped-at-hop of its own.
func TestNodeFaultConntrackTableFull(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "ctfull")
	fill := faults.ConntrackTableFull(t, lab.Node2.NetnsPath())

	rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
	t.Logf("findings:\n%s", findingsText(rep))
	f := requireFinding(t, rep, diagnose.IDConntrackTableFull)
	onlyFault(t, rep, diagnose.IDConntrackTableFull)
	mentions(t, f, lab.Node2.Name, "pod/web")
	hopNames(t, f, lab.Node2.Name, "conntrack")
	evidenceHas(t, f, fmt.Sprintf("net.netfilter.nf_conntrack_max=%d", fill.Max), "during the run", x.webAddr()+": ")
	// "drop +N" itself, not early_drop's.
	if !regexp.MustCompile(`(^|[^_])drop \+[1-9]`).MatchString(strings.Join(f.Evidence, "\n")) {
		t.Errorf("evidence shows no drops during the run:\n  %s", strings.Join(f.Evidence, "\n  "))
	}
	after := nodeInfoOf(rep, lab.Node2.Name, v1alpha1.NodeInfoAfter)
	if after == nil || after.Conntrack == nil || after.Conntrack.Max != fill.Max || after.Conntrack.Count < fill.Max-50 {
		t.Errorf("node 2's after snapshot: %+v, want its table at the max %d", after, fill.Max)
	}
}

// nodeInfoOf is node's nodeinfo snapshot of phase in the report.
func nodeInfoOf(rep *v1alpha1.Report, node, phase string) *v1alpha1.NodeInfoResult {
	for _, r := range rep.Results {
		if r.NodeInfo != nil && r.NodeInfo.Phase == phase && r.Vantage == "node "+node {
			return r.NodeInfo
		}
	}
	return nil
}
