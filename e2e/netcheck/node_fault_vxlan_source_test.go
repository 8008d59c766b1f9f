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

// Issue #4: node 2's flannel.1 encapsulates from a secondary address of its
// eth0 instead of its InternalIP (what flannel published as its public-ip).
// Peers send to one address while node 2 sends from another; any underlay
// filter keyed on node addresses drops node 2's packets. The finding names
// node 2, flannel.1, the wrong local address and the node's InternalIP.
func TestNodeFaultVXLANSource(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "vxlansrc")
	const wrong = "10.201.0.6" // lab-only: the fault routes it back over the node link

	t.Run("flannel.1 local is a secondary address", func(t *testing.T) {
		faults.VXLANSource(t, lab.Node2, "flannel.1", wrong)
		rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
		f := requireFinding(t, rep, diagnose.IDVXLANSourceMismatch)
		t.Logf("%s: %s\n  %s", f.ID, f.Summary, strings.Join(f.Evidence, "\n  "))
		mentions(t, f, lab.Node2.Name, "flannel.1", wrong, lab.Node2.IP)
		hopNames(t, f, lab.Node2.Name, "flannel.1", wrong)
		// The trace's capture on node 2 saw the SYN-ACKs leave with the wrong outer source.
		evidenceHas(t, f, "InternalIP "+lab.Node2.IP, "outer source "+wrong+" on the wire")
		if f.Severity != v1alpha1.SeverityFault {
			t.Errorf("severity %s, want fault: flannel published %s as node 2's public-ip", f.Severity, lab.Node2.IP)
		}
	})

	t.Run("node 1 admits VXLAN only from node 2's InternalIP", func(t *testing.T) {
		faults.VXLANSource(t, lab.Node2, "flannel.1", wrong)
		faults.IPTablesRule(t, lab.Node1.NetnsPath(), "filter", "INPUT",
			"-p", "udp", "--dport", "8472", "!", "-s", lab.Node2.IP, "-j", "DROP")
		// Auto mode: the failing connects add the node view by themselves.
		rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web")
		f := requireFinding(t, rep, diagnose.IDVXLANSourceMismatch)
		mentions(t, f, lab.Node2.Name, "flannel.1", wrong, lab.Node2.IP)
		// The timeouts are the symptom; the wrong source is the root cause.
		if rep.Findings[0].ID != diagnose.IDVXLANSourceMismatch {
			t.Errorf("first finding is not %s:\n%s", diagnose.IDVXLANSourceMismatch, findingsText(rep))
		}
	})

	// The fault's cleanups have run: the same cross-node path is healthy.
	rep := netcheckNode(t, c, v1alpha1.ExitOK, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
	noFaults(t, rep)
}
