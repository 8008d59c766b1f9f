//go:build e2e

package netcheck

import (
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
		mentions(t, f, lab.Node2.Name, "flannel.1", wrong, lab.Node2.IP)
		hopNames(t, f, lab.Node2.Name, "flannel.1", wrong)
		evidenceHas(t, f, "InternalIP "+lab.Node2.IP)
		if f.Severity != v1alpha1.SeverityFault {
			t.Errorf("severity %s, want fault: flannel published %s as node 2's public-ip", f.Severity, lab.Node2.IP)
		}
	})

	// The fault's cleanups have run: the same cross-node path is healthy.
	rep := netcheckNode(t, c, v1alpha1.ExitOK, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
	noFaults(t, rep)
}
