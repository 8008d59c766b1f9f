package diagnose

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// web1ForwardRule puts a rule for web-1 first in node 2's FORWARD chain and
// counts the packets the run sent through it.
func web1ForwardRule(text, verdict string, hits uint64) func(*v1alpha1.NodeInfoResult) {
	return func(info *v1alpha1.NodeInfoResult) {
		fixture.InsertRule(info, "filter", "FORWARD", fixture.Rule(77, text, verdict, "", 0,
			"daddr 10.244.1.5", "proto tcp", "dport 8080"))
		fixture.Hit(info, "FORWARD", 77, hits)
	}
}

// withRuleBefore adds the rule to the before snapshot too (it was there when
// the run started), so its counter has a delta.
func pairWithRule(node string, add func(*v1alpha1.NodeInfoResult), moreAfter func(*v1alpha1.NodeInfoResult)) []v1alpha1.CheckResult {
	pair := fixture.NodeInfoPair(node, func(after *v1alpha1.NodeInfoResult) {
		add(after)
		if moreAfter != nil {
			moreAfter(after)
		}
	})
	before := pair[0].NodeInfo
	add(before)
	// The before snapshot counted nothing of this run.
	for ti := range before.Firewall.Tables {
		for ci := range before.Firewall.Tables[ti].Chains {
			for ri := range before.Firewall.Tables[ti].Chains[ci].Rules {
				if r := &before.Firewall.Tables[ti].Chains[ci].Rules[ri]; r.Handle == 77 {
					r.Packets, r.Bytes = 0, 0
				}
			}
		}
	}
	return pair
}

func TestNodeFirewall(t *testing.T) {
	web1, web2 := fixture.Web1, fixture.Web2
	hops := fixture.CrossNodeHops("web-1")

	t.Run("DROP in node 2's FORWARD: timeouts", func(t *testing.T) {
		drop := web1ForwardRule("-d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j DROP", "drop", 0)
		r := webAcrossNodes(append(pairWithRule(fixture.Node2, drop, func(a *v1alpha1.NodeInfoResult) {
			fixture.Hit(a, "FORWARD", 77, 33)
			fixture.Hit(a, "KUBE-FORWARD", 40, 2) // unrelated INVALID drops moved too
		}), diedAt(6))...)
		diagnoseAndCheck(t, r, want{
			id:  IDNodeFirewallDrop,
			hop: "node k8slab-node2 firewall: ip filter FORWARD (handle 77) (node k8slab-node2 between flannel.1 and cni0)",
			summary: []string{`svc/web:http: connections to 10.244.1.5:8080 are dropped by node k8slab-node2's firewall ` +
				`(FORWARD "-d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j DROP")`},
			evidence: []string{
				`ip filter FORWARD (handle 77): "-d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j DROP", counter +33 packets during the run (33 in total)`,
				"not on k8slab-node2/cni0",
				"10.244.1.5:8080: 10 of 10 timed out (100%)",
				"via the Service IP 10.96.0.20:80: 9 of 20 timed out (45%)",
			},
			checkIDs: []string{"nodeinfo-before-node2", "nodeinfo-after-node2", "trace:10.244.1.5:8080", "tcp-1", "tcp-2"},
		})
	})

	t.Run("an ip6 FORWARD DROP that counted IPv6 traffic is not blamed for IPv4", func(t *testing.T) {
		drop := web1ForwardRule("-d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j DROP", "drop", 0)
		withIP6 := func(info *v1alpha1.NodeInfoResult) { drop(info); fixture.PrependIP6Tables(info) }
		r := webAcrossNodes(append(pairWithRule(fixture.Node2, withIP6, func(a *v1alpha1.NodeInfoResult) {
			fixture.Hit(a, "FORWARD", 77, 33)
			fixture.Hit(a, "FORWARD", 901, 50)
		}), diedAt(6))...)
		f := diagnoseAndCheck(t, r, want{
			id:  IDNodeFirewallDrop,
			hop: "node k8slab-node2 firewall: ip filter FORWARD (handle 77) (node k8slab-node2 between flannel.1 and cni0)",
		})
		for _, e := range f[0].Evidence {
			if strings.Contains(e, "ip6") {
				t.Errorf("evidence names an ip6 rule or policy: %s", e)
			}
		}
	})

	t.Run("REJECT in node 2's FORWARD: refused by the node, not the pod", func(t *testing.T) {
		reject := web1ForwardRule("-d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset", "reject", 0)
		// The RST leaves node 2 by flannel.1 with TTL 64 and node 2's VTEP MAC.
		rst := &fixture.TraceReply{Kind: "rst", What: "RST-ACK", FirstHop: hops[6].Label, TTL: 64, SrcMAC: fixture.Node2VtepMAC}
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, append(append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 11, v1alpha1.TCPRefused: 9}),
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPRefused: 10}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
				fixture.TraceProbes(hops, 3, "10.244.1.5:8080", 6, rst, 0, "")),
		}, pairWithRule(fixture.Node2, reject, func(a *v1alpha1.NodeInfoResult) { fixture.Hit(a, "FORWARD", 77, 22) })...),
			fixture.NodeInfoPair(fixture.Node1, nil)...)...)
		diagnoseAndCheck(t, r, want{
			id:  IDNodeFirewallReject,
			hop: "node k8slab-node2 firewall: ip filter FORWARD (handle 77)",
			summary: []string{`connections to 10.244.1.5:8080 are refused by node k8slab-node2's firewall`,
				"not by pod default/web-1"},
			evidence: []string{
				"counter +22 packets during the run",
				"the rst (RST-ACK from 10.244.1.5:8080) was first seen at k8slab-node2/flannel.1 with TTL 64, where the request was last seen: generated by node k8slab-node2's own stack",
				"10.244.1.5:8080: 10 of 10 refused (100%)",
			},
		})
	})

	t.Run("refusal from the node without counters: trace alone", func(t *testing.T) {
		rst := &fixture.TraceReply{Kind: "rst", What: "RST-ACK", FirstHop: hops[6].Label, TTL: 64, SrcMAC: fixture.Node2VtepMAC}
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)},
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPRefused: 10}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.NodeInfoResult("nodeinfo-node2", fixture.Node2, fixture.NodeInfo(fixture.Node2, "")),
			fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
				fixture.TraceProbes(hops, 3, "10.244.1.5:8080", 6, rst, 0, "")))
		diagnoseAndCheck(t, r, want{
			id:       IDNodeFirewallReject,
			hop:      "node k8slab-node2 at flannel.1 (node k8slab-node2 between flannel.1 and cni0)",
			summary:  []string{"svc/web:http: connections to 10.244.1.5:8080 are refused by node k8slab-node2, not by pod default/web-1"},
			evidence: []string{"no before/after firewall snapshots of the node: the REJECT rule could not be named"},
		})
	})

	t.Run("the pod's own RST is a real refusal", func(t *testing.T) {
		rst := &fixture.TraceReply{Kind: "rst", What: "RST-ACK", FirstHop: hops[9].Label, TTL: 64, SrcMAC: "0a:58:0a:f4:01:05"}
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)},
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPRefused: 10}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
				fixture.TraceProbes(hops, 3, "10.244.1.5:8080", 9, rst, 0, "")))
		diagnoseAndCheck(t, r, want{id: IDEndpointRefused})
	})

	t.Run("a counter that moved for other traffic is not blamed", func(t *testing.T) {
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		}, fixture.NodeInfoPair(fixture.Node2, func(a *v1alpha1.NodeInfoResult) { fixture.Hit(a, "KUBE-FORWARD", 40, 5) })...)...)
		diagnoseAndCheck(t, r)
	})
}

// As the lab showed for a Service whose only pod never gets ready: kube-proxy's
// "has no endpoints" REJECT answers from node 1's own stack, rate-limited, so
// one probe of three goes silent. That is the Service's state, named once.
func TestNoReadyEndpointsIsNotANodeFault(t *testing.T) {
	web1 := fixture.Web1
	web1.Ready = false
	hops := fixture.CrossNodeHops("web-1")[:5] // the ClusterIP trace never leaves node 1
	icmp := &fixture.TraceReply{Kind: "icmp-error", What: "icmp dest-unreachable/port", FirstHop: hops[2].Label, TTL: 64,
		SrcMAC: "0a:58:0a:f4:00:01"}
	probes := fixture.TraceProbes(hops, 3, fixture.WebClusterIP+":80", 2, icmp, 0, "")
	probes[2].Reply = nil
	noEndpoints := func(info *v1alpha1.NodeInfoResult) {
		fixture.InsertRule(info, "filter", "KUBE-SERVICES", fixture.Rule(77,
			`-p tcp -d 10.96.0.20 -m comment --comment "default/web:http has no endpoints" --dport 80 -j REJECT`,
			"reject", "default/web:http has no endpoints", 0, "daddr 10.96.0.20", "proto tcp", "dport 80"))
	}
	r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1)}, append([]v1alpha1.CheckResult{
		fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPRefused: 8, v1alpha1.TCPTimeout: 12}),
		fixture.Trace("trace:10.96.0.20:80", "svc/web ClusterIP 10.96.0.20:80", fixture.WebClusterIP, 80, hops, probes),
	}, pairWithRule(fixture.Node1, noEndpoints, func(a *v1alpha1.NodeInfoResult) { fixture.Hit(a, "KUBE-SERVICES", 77, 3) })...)...)
	diagnoseAndCheck(t, r, want{
		id:       IDServiceNoReadyEndpoints,
		evidence: []string{"connects to the Service IP 10.96.0.20:80: 20 of 20 failed", "trace: 2 of 3 probes answered icmp dest-unreachable/port"},
	})
	for _, f := range Diagnose(r) {
		if f.ID != IDServiceNoReadyEndpoints {
			t.Errorf("a second finding for the Service's own state: %s %s", f.ID, f.Summary)
		}
	}
}
