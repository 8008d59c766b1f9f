package diagnose

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// Found on the lab cluster: with node 2's flannel.1 encapsulating from a
// secondary address, the trace evidence quoted node 1's address as "the
// outer source of packets from node 2". The requests seen on node 2's eth0
// were encapsulated by node 1; only what node 2 sends (here the SYN-ACKs)
// carries node 2's real outer source.
func TestVXLANSourceMismatchQuotesOnlyWhatTheNodeSent(t *testing.T) {
	const wrong = "192.168.56.99"
	hops := fixture.CrossNodeHops("web-1")
	node2Eth0 := 5
	if h := hops[node2Eth0]; h.Node != fixture.Node2 || h.Kind != "device" {
		t.Fatalf("hop %d is %s (%s), want node 2's underlay", node2Eth0, h.Label, h.Kind)
	}
	synack := &fixture.TraceReply{Kind: replySYNACK, What: "SYN-ACK", FirstHop: hops[len(hops)-1].Label, TTL: 62,
		SrcMAC: "0a:58:0a:f4:01:05"}
	probes := fixture.TraceProbes(hops, 3, "10.244.1.5:8080", len(hops)-1, synack, 0, "")
	for i := range probes {
		probes[i].Outcome = string(v1alpha1.TCPOK)
		probes[i].Seen = append(probes[i].Seen, v1alpha1.TraceSighting{Hop: hops[node2Eth0].Label, HopIndex: node2Eth0,
			Dir: v1alpha1.TraceDirReply, Time: fixture.Start, Src: "10.244.1.5:8080", Dst: probes[i].Reply.Dst, TTL: 63,
			What: "SYN-ACK", Count: 1, OuterSrc: wrong, OuterDst: fixture.Node1IP, VNI: 1})
	}
	trace := fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops, probes)
	r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, fixture.Web2)},
		append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			trace,
		}, fixture.NodeInfoPair(fixture.Node2, func(info *v1alpha1.NodeInfoResult) {
			fixture.Link(info, "flannel.1").VXLAN.Local = wrong
		})...)...)
	got := diagnoseAndCheck(t, r, want{
		id:      IDVXLANSourceMismatch,
		hop:     "node k8slab-node2 flannel.1 (VXLAN local " + wrong + ")",
		summary: []string{"node k8slab-node2: flannel.1 encapsulates from " + wrong + ", not " + fixture.Node2IP},
		evidence: []string{"node k8slab-node2 InternalIP " + fixture.Node2IP,
			"encapsulated packets from node k8slab-node2 carried outer source " + wrong + " on the wire"},
	})
	for _, e := range got[0].Evidence {
		if strings.Contains(e, "outer source "+fixture.Node1IP) {
			t.Errorf("evidence quotes node 1's address as node 2's outer source: %s", e)
		}
	}
}
