//go:build linux

package trace

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path/pathtest"
)

// twoNodeHops discovers both nodes' paths and joins them in request order:
// podA eth0 -> vethA -> cni0 -> flannel.1 -> eth0 | eth0 -> flannel.1 -> cni0 -> vethB -> podB eth0.
// That is what the plugin would do with the paths its two node probes report.
func twoNodeHops(t *testing.T, topo *pathtest.TwoNodes) []v1alpha1.TraceHop {
	t.Helper()
	var hops []v1alpha1.TraceHop
	for i, n := range []struct{ from, to *pathtest.Node }{{topo.A, topo.B}, {topo.B, topo.A}} {
		p, err := path.Discover(path.Request{PodNetns: n.from.PodNetns(), NodeNetns: n.from.HostNetns(), Destination: n.to.PodIP})
		if err != nil || len(p.Hops) != 5 {
			t.Fatalf("discover %s: %v (%d hops)", n.from.Name, err, len(p.Hops))
		}
		var nodeHops []v1alpha1.TraceHop
		for _, h := range p.Hops {
			name := h.Name
			if h.Role == path.RolePod {
				name = "pod " + h.Name
			}
			nodeHops = append(nodeHops, v1alpha1.TraceHop{Node: n.from.Name, Name: name, Netns: h.Netns, Ifname: h.Name})
		}
		if i == 1 { // nodeB's path leads away from podB: the request crosses it backwards
			for l, r := 0, len(nodeHops)-1; l < r; l, r = l+1, r-1 {
				nodeHops[l], nodeHops[r] = nodeHops[r], nodeHops[l]
			}
		}
		hops = append(hops, nodeHops...)
	}
	return hops
}

// Labels of the ten hops, in request order.
const (
	hopPodA      = "nodeA/pod eth0"
	hopVethA     = "nodeA/vethA"
	hopBridgeA   = "nodeA/cni0"
	hopVXLANA    = "nodeA/flannel.1"
	hopUnderlayA = "nodeA/eth0"
	hopUnderlayB = "nodeB/eth0"
	hopVXLANB    = "nodeB/flannel.1"
	hopBridgeB   = "nodeB/cni0"
	hopVethB     = "nodeB/vethB"
	hopPodB      = "nodeB/pod eth0"
)

var allHops = []string{hopPodA, hopVethA, hopBridgeA, hopVXLANA, hopUnderlayA, hopUnderlayB, hopVXLANB, hopBridgeB, hopVethB, hopPodB}

// seen lists the hops a probe was seen on in one direction, in the order reported.
func seen(p v1alpha1.TraceProbe, dir string) []string {
	var out []string
	for _, s := range p.Seen {
		if s.Dir == dir {
			out = append(out, s.Hop)
		}
	}
	return out
}

func sighting(p v1alpha1.TraceProbe, dir, hop string) (v1alpha1.TraceSighting, bool) {
	for _, s := range p.Seen {
		if s.Dir == dir && s.Hop == hop {
			return s, true
		}
	}
	return v1alpha1.TraceSighting{}, false
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[len(s)-1-i] = s[i]
	}
	return out
}
