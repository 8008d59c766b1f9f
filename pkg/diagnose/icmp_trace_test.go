package diagnose

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// echoDiedAt is the ICMP trace to web-1 whose echoes were last seen on hop
// last (replied: answered by the pod, last must then be the pod's hop).
func echoDiedAt(last int, replied bool) v1alpha1.CheckResult {
	hops := fixture.CrossNodeHops("web-1")
	return fixture.ICMPTrace("svc/web endpoint 10.244.1.5", "10.244.1.5", hops, fixture.EchoProbes(hops, 3, "10.244.1.5", last, replied))
}

// lostPings is the ICMP check to web-1 with every echo lost.
func lostPings() v1alpha1.CheckResult {
	return fixture.ICMPEcho("icmp-1", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5", 3, 0)
}

func web2OK() v1alpha1.CheckResult {
	return fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", fixture.Web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10})
}

func healthyNodes() []v1alpha1.CheckResult {
	return append(fixture.NodeInfoPair(fixture.Node1, nil), fixture.NodeInfoPair(fixture.Node2, nil)...)
}

// One fault, two traces (the SYNs and the echoes to one pod): one finding,
// the ICMP trace its extra evidence line, whichever rule names the fault.
func TestICMPTraceJoinsTheTCPTracesFinding(t *testing.T) {
	const echoLine = "echo 10.244.0.5 -> 10.244.1.5 seen on k8slab-node1/pod client, k8slab-node1/veth3f1c2a9b, " +
		"k8slab-node1/cni0, k8slab-node1/flannel.1, k8slab-node1/eth0, k8slab-node2/eth0, k8slab-node2/flannel.1"

	t.Run("trace-dropped-at-hop", func(t *testing.T) {
		// The ICMP trace comes first in the report: the finding still names the connects' hop.
		r := webAcrossNodes(append(healthyNodes(), echoDiedAt(7, false), diedAt(7), lostPings())...)
		diagnoseAndCheck(t, r, want{
			id:      IDTraceDroppedAtHop,
			hop:     "node k8slab-node2 between cni0 and veth8c0d4e21",
			summary: []string{"svc/web:http: 3 probes to 10.244.1.5:8080 last seen at k8slab-node2/cni0"},
			evidence: []string{
				"SYN 10.244.0.5 -> 10.244.1.5:8080 seen on",
				echoLine + ", k8slab-node2/cni0; not on k8slab-node2/veth8c0d4e21, k8slab-node2/pod web-1 (3 of 3 unanswered probes): " +
					"died on node k8slab-node2 between cni0 and veth8c0d4e21",
				"ICMP echo to 10.244.1.5: 0/3 replies",
			},
			checkIDs: []string{"trace:10.244.1.5:8080", "trace:icmp:10.244.1.5", "nodeinfo-before-node2", "nodeinfo-after-node2",
				"tcp-1", "tcp-2", "icmp-1"},
		})
	})

	t.Run("ip_forward off on node 2", func(t *testing.T) {
		forwardOff := func(info *v1alpha1.NodeInfoResult) { info.Sysctls["net.ipv4.ip_forward"] = "0" }
		r := webAcrossNodes(append(append(fixture.NodeInfoPair(fixture.Node1, nil), fixture.NodeInfoPair(fixture.Node2, forwardOff)...),
			diedAt(6), echoDiedAt(6, false), lostPings())...)
		diagnoseAndCheck(t, r, want{
			id:  IDIPForwardDisabled,
			hop: "node k8slab-node2 between flannel.1 and cni0",
			evidence: []string{
				"SYN 10.244.0.5 -> 10.244.1.5:8080 seen on",
				echoLine + "; not on k8slab-node2/cni0, k8slab-node2/veth8c0d4e21, k8slab-node2/pod web-1 (3 of 3 unanswered probes): " +
					"died on node k8slab-node2 between flannel.1 and cni0",
			},
			checkIDs: []string{"nodeinfo-before-node2", "nodeinfo-after-node2", "trace:10.244.1.5:8080", "trace:icmp:10.244.1.5",
				"tcp-1", "tcp-2", "icmp-1"},
		})
	})

	t.Run("firewall DROP of everything to web-1", func(t *testing.T) {
		drop := func(info *v1alpha1.NodeInfoResult) {
			fixture.InsertRule(info, "filter", "FORWARD", fixture.Rule(77, "-d 10.244.1.5/32 -j DROP", "drop", "", 0, "daddr 10.244.1.5"))
			fixture.Hit(info, "FORWARD", 77, 0)
		}
		r := webAcrossNodes(append(pairWithRule(fixture.Node2, drop, func(a *v1alpha1.NodeInfoResult) { fixture.Hit(a, "FORWARD", 77, 36) }),
			echoDiedAt(6, false), diedAt(6), lostPings())...)
		diagnoseAndCheck(t, r, want{
			id:       IDNodeFirewallDrop,
			hop:      "node k8slab-node2 firewall: ip filter FORWARD (handle 77) (node k8slab-node2 between flannel.1 and cni0)",
			evidence: []string{"(3 of 3 unanswered probes): died on node k8slab-node2 between flannel.1 and cni0"},
			checkIDs: []string{"nodeinfo-before-node2", "nodeinfo-after-node2", "trace:10.244.1.5:8080", "trace:icmp:10.244.1.5",
				"tcp-1", "tcp-2", "icmp-1"},
		})
	})
}

// Without a TCP trace to the pod (say, a pod target given without a port),
// the ICMP trace names the drop on its own.
func TestICMPTraceDroppedAtHop(t *testing.T) {
	r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, fixture.Web2)}, append(healthyNodes(), web2OK(), echoDiedAt(7, false), lostPings())...)
	diagnoseAndCheck(t, r, want{
		id:       IDTraceDroppedAtHop,
		hop:      "node k8slab-node2 between cni0 and veth8c0d4e21",
		summary:  []string{": 3 echoes to 10.244.1.5 last seen at k8slab-node2/cni0, then nowhere: dropped on node k8slab-node2 between cni0 and veth8c0d4e21"},
		evidence: []string{"echo 10.244.0.5 -> 10.244.1.5 seen on", "ICMP echo to 10.244.1.5: 0/3 replies"},
		checkIDs: []string{"trace:icmp:10.244.1.5", "nodeinfo-before-node2", "nodeinfo-after-node2", "icmp-1"},
	})
}

// Only ping is dropped, TCP to the pod connects: not a fault of the path;
// the ICMP trace shows where the echoes died.
func TestICMPTraceOfBlockedPing(t *testing.T) {
	r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, fixture.Web2)}, append(healthyNodes(), web2OK(),
		fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		echoDiedAt(6, false), lostPings())...)
	diagnoseAndCheck(t, r, want{
		id:       IDICMPBlockedTCPOK,
		evidence: []string{"(3 of 3 unanswered probes): died on node k8slab-node2 between flannel.1 and cni0"},
		checkIDs: []string{"icmp-1", "tcp-2", "trace:icmp:10.244.1.5"},
	})
}

// Echoes answered while the connects die: the ICMP trace backs up the
// finding with "the path to the pod works".
func TestAnsweredICMPTraceBacksTheTCPFinding(t *testing.T) {
	r := webAcrossNodes(append(healthyNodes(), diedAt(9), echoDiedAt(9, true))...)
	got := Diagnose(r)
	var lines []string
	for _, f := range got {
		for _, id := range f.CheckIDs {
			if id == "trace:icmp:10.244.1.5" {
				lines = append(lines, f.ID)
				for _, e := range f.Evidence {
					if containsLine([]string{e}, "echoes to 10.244.1.5 answered") {
						lines = append(lines, e)
					}
				}
			}
		}
	}
	want := []string{IDEndpointTimeout, "trace: 3 of 3 echoes to 10.244.1.5 answered: the path to the pod works for ICMP"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("findings citing the ICMP trace (-want +got):\n%s\n%s", diff, dump(got))
	}
}

// The ICMP trace crosses the TCP trace's hops: their MTU table is shown once.
func TestOverlayMTUTableOncePerPath(t *testing.T) {
	lowered := func(info *v1alpha1.NodeInfoResult) { fixture.Link(info, "flannel.1").MTU = 1400 }
	hops := fixture.CrossNodeHops("web-1")
	ack := &fixture.TraceReply{Kind: "syn-ack", What: "SYN-ACK", FirstHop: hops[9].Label, TTL: 64}
	results := append(fixture.NodeInfoPair(fixture.Node1, nil), fixture.NodeInfoPair(fixture.Node2, lowered)...)
	results = append(results, web2OK(),
		fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
			fixture.TraceProbes(hops, 3, "10.244.1.5:8080", 9, ack, 0, "")),
		echoDiedAt(9, true))
	got := diagnoseAndCheck(t, fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, fixture.Web2)}, results...),
		want{id: IDOverlayMTUMismatch})
	var tables []string
	for _, e := range got[0].Evidence {
		if containsLine([]string{e}, "hop MTUs:") {
			tables = append(tables, e[:len("trace to 10.244.1.5:8080")])
		}
	}
	if diff := cmp.Diff([]string{"trace to 10.244.1.5:8080"}, tables); diff != "" {
		t.Errorf("MTU tables (-want +got):\n%s", diff)
	}
	if !containsLine(got[0].CheckIDs, "trace:icmp:10.244.1.5") {
		t.Errorf("the ICMP trace is not cited: %v", got[0].CheckIDs)
	}
}

// An IP held twice: the SYNs tell the two stacks apart, the echoes cannot.
func TestImpostorRepliesOfAnICMPTrace(t *testing.T) {
	tv := traceView{res: &v1alpha1.CheckResult{ID: "trace:icmp:10.244.1.5"}, tr: echoDiedAt(9, true).Trace}
	if got, want := impostorReplies(tv), "trace trace:icmp:10.244.1.5: 3 of 3 echoes answered"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
