package diagnose

import (
	"slices"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestOverlayMTU(t *testing.T) {
	web1, web2 := fixture.Web1, fixture.Web2
	allOK := func() []v1alpha1.CheckResult {
		return []v1alpha1.CheckResult{
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		}
	}
	lowered := func(mtu int) func(*v1alpha1.NodeInfoResult) {
		return func(info *v1alpha1.NodeInfoResult) { fixture.Link(info, "flannel.1").MTU = mtu }
	}
	hops := fixture.CrossNodeHops("web-1")
	hops[6].MTU = 1400
	ack := &fixture.TraceReply{Kind: "syn-ack", What: "SYN-ACK", FirstHop: hops[9].Label, TTL: 64}

	t.Run("one flannel.1 lowered: the odd node's hop, with the hop MTU table", func(t *testing.T) {
		results := append(allOK(), fixture.NodeInfoPair(fixture.Node1, nil)...)
		results = append(results, fixture.NodeInfoPair(fixture.Node2, lowered(1400))...)
		results = append(results, fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
			fixture.TraceProbes(hops, 3, "10.244.1.5:8080", 9, ack, 0, "")))
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...)
		diagnoseAndCheck(t, r, want{
			id:      IDOverlayMTUMismatch,
			hop:     "node k8slab-node2 flannel.1 (MTU 1400)",
			summary: []string{"node k8slab-node2: flannel.1 MTU 1400 does not fit the overlay path: flannel.1 MTUs differ between the nodes: node k8slab-node1 1450, node k8slab-node2 1400"},
			evidence: []string{
				"node k8slab-node2: cni0 MTU 1450 is larger than flannel.1 MTU 1400",
				"node k8slab-node2: flannel.1 1400 (underlay eth0 1500), cni0 1450",
				"trace to 10.244.1.5:8080: hop MTUs: k8slab-node1/pod client 1450, k8slab-node1/veth3f1c2a9b 1450, k8slab-node1/cni0 1450, k8slab-node1/flannel.1 1450, k8slab-node1/eth0 1500, k8slab-node2/eth0 1500, k8slab-node2/flannel.1 1400",
			},
		})
	})

	t.Run("VXLAN MTU leaves no room for the 50-byte header", func(t *testing.T) {
		results := append(allOK(), fixture.NodeInfoPair(fixture.Node1, lowered(1500))...)
		results = append(results, fixture.NodeInfoPair(fixture.Node2, lowered(1500))...)
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...)
		diagnoseAndCheck(t, r, want{
			id: IDOverlayMTUMismatch, severity: v1alpha1.SeverityFault,
			hop:      "node k8slab-node1 flannel.1 (MTU 1500)",
			summary:  []string{"node k8slab-node1: flannel.1 MTU 1500 needs an underlay MTU of 1550, but eth0 has 1500"},
			evidence: []string{"node k8slab-node2: flannel.1 MTU 1500 needs an underlay MTU of 1550"},
		})
	})

	t.Run("the frag-needed sender of a DF sweep is named as the node's device", func(t *testing.T) {
		results := append(allOK(), fixture.NodeInfoPair(fixture.Node1, lowered(1400))...)
		results = append(results, fixture.NodeInfoPair(fixture.Node2, nil)...)
		results = append(results, fixture.Sweep("icmp-1", fixture.EndpointLabel("svc/web", web1), "10.244.1.5", v1alpha1.MTUResult{
			Outcome: v1alpha1.MTUFragNeeded, Interface: "eth0", InterfaceMTU: 1450, LargestOK: 1400, PathMTU: 1400,
			ReportedMTU: 1400, ReportedBy: "10.244.0.0", Probes: fixture.Probes(1400, "frag-needed", 576, 1400, 1450)}))
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...)
		diagnoseAndCheck(t, r, want{id: IDOverlayMTUMismatch, hop: "node k8slab-node1 flannel.1 (MTU 1400)",
			evidence: []string{"DF sweep to 10.244.1.5: 10.244.0.0 reported next-hop MTU 1400 (node k8slab-node1's flannel.1)"}})
	})

	t.Run("a DF sweep that lost packets makes it a fault", func(t *testing.T) {
		results := append(allOK(), fixture.NodeInfoPair(fixture.Node1, nil)...)
		results = append(results, fixture.NodeInfoPair(fixture.Node2, lowered(1400))...)
		results = append(results, fixture.Sweep("icmp-1", fixture.EndpointLabel("svc/web", web1), "10.244.1.5", v1alpha1.MTUResult{
			Outcome: v1alpha1.MTUBlackHole, Interface: "eth0", InterfaceMTU: 1450, LargestOK: 1400, SmallestLost: 1401, PathMTU: 1400,
			Probes: fixture.Probes(1400, "timeout", 576, 1400, 1401, 1450)}))
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...)
		diagnoseAndCheck(t, r, want{id: IDOverlayMTUMismatch, severity: v1alpha1.SeverityFault,
			hop: "node k8slab-node2 flannel.1 (MTU 1400)", checkIDs: []string{"nodeinfo-before-node1", "nodeinfo-after-node1",
				"nodeinfo-before-node2", "nodeinfo-after-node2", "icmp-1"},
			evidence: []string{"DF sweep to 10.244.1.5: packets up to 1400 B pass, 1401 B and larger vanish"}})
	})

	t.Run("equal MTUs that fit say nothing", func(t *testing.T) {
		results := append(allOK(), fixture.NodeInfoPair(fixture.Node1, nil)...)
		results = append(results, fixture.NodeInfoPair(fixture.Node2, nil)...)
		diagnoseAndCheck(t, fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...))
	})
}

func TestTraceDroppedAtHop(t *testing.T) {
	// Healthy node state everywhere, yet the SYNs die between node 2's bridge
	// and web-1's veth: nothing more specific to say than where.
	r := webAcrossNodes(append(append(fixture.NodeInfoPair(fixture.Node1, nil), fixture.NodeInfoPair(fixture.Node2, nil)...), diedAt(7))...)
	diagnoseAndCheck(t, r, want{
		id:      IDTraceDroppedAtHop,
		hop:     "node k8slab-node2 between cni0 and veth8c0d4e21",
		summary: []string{"svc/web:http: 3 probes to 10.244.1.5:8080 last seen at k8slab-node2/cni0, then nowhere: dropped on node k8slab-node2 between cni0 and veth8c0d4e21"},
		evidence: []string{
			"node k8slab-node2: net.ipv4.ip_forward=1",
			"10.244.1.5:8080: 10 of 10 timed out (100%)",
			"via the Service IP 10.96.0.20:80: 9 of 20 timed out (45%)",
		},
		checkIDs: []string{"trace:10.244.1.5:8080", "nodeinfo-before-node2", "nodeinfo-after-node2", "tcp-1", "tcp-2"},
	})
}

func TestTraceIntoTheDestinationPodIsThePodsSilence(t *testing.T) {
	// As the cluster showed with a DROP in web-1's own netns: the SYNs reach
	// web-1's eth0 and nothing answers. The network delivered them, so the
	// finding is the endpoint's timeout, with the trace as its evidence, not a
	// drop "after the last captured hop".
	r := webAcrossNodes(append(append(fixture.NodeInfoPair(fixture.Node1, nil), fixture.NodeInfoPair(fixture.Node2, nil)...), diedAt(9))...)
	got := Diagnose(r)
	var ids []string
	for _, f := range got {
		ids = append(ids, f.ID)
		if f.ID == IDTraceDroppedAtHop {
			t.Errorf("trace-dropped-at-hop for probes that reached the destination pod: %s", f.Summary)
		}
	}
	if !slices.Contains(ids, IDEndpointTimeout) {
		t.Errorf("findings %v, want %s", ids, IDEndpointTimeout)
	}
}
