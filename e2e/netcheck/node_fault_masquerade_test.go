//go:build e2e

package netcheck

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #4: a MASQUERADE rule on node 1 catches pod-to-pod traffic. Every
// connect works, but node 2's pod sees node 1's address instead of the
// client's: the finding names the rule, and the trace shows the source the
// destination saw.
func TestNodeFaultPodMasquerade(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "masq")
	node1VTEP, _, _ := framework.FlannelPeer(t, c, lab.Node1)
	faults.IPTablesRule(t, lab.Node1.NetnsPath(), "nat", "POSTROUTING",
		"-s", lab.PodCIDR, "-d", lab.PodCIDR, "-m", "comment", "--comment", "e2e masquerade", "-j", "MASQUERADE")

	// The fault as the server sees it, independently of netcheck: the echo
	// server names the client address it saw.
	seenAs, err := framework.EchoGet(podNetns(t, x.client), x.webAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if seenAs.RemoteIP() != node1VTEP {
		t.Fatalf("web saw the client as %s; want node 1's flannel.1 address %s", seenAs.Remote, node1VTEP)
	}

	rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--deep")
	f := requireFinding(t, rep, diagnose.IDPodTrafficMasqueraded)
	mentions(t, f, lab.Node1.Name, "MASQUERADE", "POSTROUTING")
	evidenceHas(t, f, "e2e masquerade")
	tr := traceTo(rep, x.webAddr())
	if tr == nil {
		t.Fatalf("no trace to %s", x.webAddr())
	}
	// At node 2's hops the request carries node 1's address.
	seen := false
	for _, p := range tr.Probes {
		for _, s := range p.Seen {
			if s.Dir == v1alpha1.TraceDirRequest && strings.HasPrefix(s.Hop, lab.Node2.Name+"/") {
				host, _, _ := net.SplitHostPort(s.Src)
				if host != node1VTEP {
					t.Errorf("request at %s from %s, want node 1's %s", s.Hop, s.Src, node1VTEP)
				}
				seen = true
			}
		}
	}
	if !seen {
		t.Error("the trace saw no request on node 2")
	}
	mentions(t, f, node1VTEP)
}
