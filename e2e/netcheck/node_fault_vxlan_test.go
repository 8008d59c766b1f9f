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

// Issue #4: node 1's flannel.1 holds a wrong entry for node 2's VTEP. The
// packets for node 2's pods are encapsulated toward a MAC (or underlay
// address) node 2 never published and die after node 1's flannel.1; the
// finding shows the wrong entry against node 2's flannel annotations.
func TestNodeFaultVXLANPeer(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "vxlan")
	vtepIP, vtepMAC, publicIP := framework.FlannelPeer(t, c, lab.Node2)
	node1 := lab.Node1.NetnsPath()

	t.Run("neighbour of node 2's VTEP points at a wrong MAC", func(t *testing.T) {
		const wrong = "02:00:00:00:00:01"
		faults.Neighbor(t, node1, "flannel.1", vtepIP, wrong)
		// Auto mode: the failing connects add the node view by themselves.
		rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web")
		f := requireFinding(t, rep, diagnose.IDVXLANPeerMismatch)
		mentions(t, f, lab.Node1.Name, lab.Node2.Name, "flannel.1", wrong, vtepMAC)
		hopNames(t, f, lab.Node1.Name, "flannel.1")
		if tr := traceTo(rep, x.webAddr()); tr != nil {
			for hop, n := range lastHops(tr) {
				if hop != lab.Node1.Name+"/flannel.1" {
					t.Errorf("%d probes last seen at %q, want %s/flannel.1", n, hop, lab.Node1.Name)
				}
			}
		} else {
			t.Errorf("no trace to %s", x.webAddr())
		}
	})

	t.Run("FDB sends node 2's VTEP MAC to another underlay address", func(t *testing.T) {
		// Node 1's own IP: the misdirected VXLAN packets stay on this machine.
		faults.FDB(t, node1, "flannel.1", vtepMAC, lab.APIServerIP)
		rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
		f := requireFinding(t, rep, diagnose.IDVXLANPeerMismatch)
		mentions(t, f, lab.Node1.Name, "flannel.1", lab.APIServerIP, publicIP)
		if !strings.Contains(f.Summary, "FDB") {
			t.Errorf("summary does not name the FDB entry: %s", f.Summary)
		}
	})
}
