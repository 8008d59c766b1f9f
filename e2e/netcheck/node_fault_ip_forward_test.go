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

// Issue #4: ip_forward=0 on node 2. The SYNs from node 1's client cross the
// overlay, are decapsulated on node 2's flannel.1 and die there: node 2 does
// not route them on to cni0. The finding names the node, the sysctl and the
// hop the trace saw them die at; the echoes to the pod, traced too, died at
// the same hop and are one more evidence line of the same finding.
func TestNodeFaultIPForwardOff(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "ipforward")
	faults.Sysctl(t, lab.Node2.NetnsPath(), "net.ipv4.ip_forward", "0")

	rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
	f := requireFinding(t, rep, diagnose.IDIPForwardDisabled)
	mentions(t, f, lab.Node2.Name, "net.ipv4.ip_forward=0")
	hopNames(t, f, lab.Node2.Name, "flannel.1", "cni0")

	tr := traceTo(rep, x.webAddr())
	if tr == nil {
		t.Fatalf("no trace to %s in the report", x.webAddr())
	}
	for hop, n := range lastHops(tr) {
		if !strings.HasPrefix(hop, lab.Node2.Name+"/") || !strings.HasSuffix(hop, "flannel.1") {
			t.Errorf("%d probes last seen at %q, want %s/flannel.1", n, hop, lab.Node2.Name)
		}
	}
	sameDeath(t, rep, f, x)
}
