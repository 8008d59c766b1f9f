package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestPodMasquerade(t *testing.T) {
	web1, web2 := fixture.Web1, fixture.Web2
	hops := fixture.CrossNodeHops("web-1")
	allOK := []v1alpha1.CheckResult{
		fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
		fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
	}
	masq := fixture.Rule(900, `-s 10.244.0.0/16 -m comment --comment "ops: egress" -j MASQUERADE`, "masquerade", "ops: egress", 0,
		"saddr 10.244.0.0/16")
	withMasq := func(hits uint64) func(*v1alpha1.NodeInfoResult) {
		return func(info *v1alpha1.NodeInfoResult) {
			fixture.InsertRule(info, "nat", "POSTROUTING", masq)
			fixture.Hit(info, "POSTROUTING", 900, hits)
		}
	}
	ack := &fixture.TraceReply{Kind: "syn-ack", What: "SYN-ACK", FirstHop: hops[9].Label, TTL: 64, SrcMAC: "0a:58:0a:f4:01:05"}

	t.Run("MASQUERADE on top of node 1's POSTROUTING, seen by the trace", func(t *testing.T) {
		pair := fixture.NodeInfoPair(fixture.Node1, withMasq(31))
		withMasq(0)(pair[0].NodeInfo)
		results := append(append([]v1alpha1.CheckResult{}, allOK...), pair...)
		// flannel.1 on node 1 holds 10.244.0.0: MASQUERADE picked it as the new source.
		results = append(results, fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
			fixture.TraceProbes(hops, 3, "10.244.1.5:8080", 9, ack, 3, "10.244.0.0")))
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...)
		diagnoseAndCheck(t, r, want{
			id:  IDPodTrafficMasqueraded,
			hop: "node k8slab-node1 nat POSTROUTING: ip nat POSTROUTING (handle 900)",
			summary: []string{`svc/web:http: pod-to-pod traffic is masqueraded on node k8slab-node1 by POSTROUTING "-s 10.244.0.0/16 -m comment --comment \"ops: egress\" -j MASQUERADE"`,
				"at k8slab-node2/pod web-1 the request to 10.244.1.5 carries source 10.244.0.0 (node k8slab-node1's flannel.1), not the client's 10.244.0.5"},
			evidence: []string{
				"counter +31 packets during the run",
				"trace trace:10.244.1.5:8080: source 10.244.0.5 seen up to k8slab-node1/cni0, 10.244.0.0 from k8slab-node1/flannel.1 on",
				"pod networks: 10.244.0.0/24, 10.244.1.0/24",
			},
		})
	})

	t.Run("rules alone: the flow surely reaches it and its counter moved", func(t *testing.T) {
		pair := fixture.NodeInfoPair(fixture.Node1, withMasq(31))
		withMasq(0)(pair[0].NodeInfo)
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, append(append([]v1alpha1.CheckResult{}, allOK...), pair...)...)
		diagnoseAndCheck(t, r, want{id: IDPodTrafficMasqueraded, checkIDs: []string{"nodeinfo-before-node1", "nodeinfo-after-node1", "tcp-2", "tcp-3"}})
	})

	t.Run("flannel's own MASQUERADE counting pod-to-outside traffic is fine", func(t *testing.T) {
		pair := fixture.NodeInfoPair(fixture.Node1, func(info *v1alpha1.NodeInfoResult) { fixture.Hit(info, "FLANNEL-POSTRTG", 154, 40) })
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, append(append([]v1alpha1.CheckResult{}, allOK...), pair...)...)
		diagnoseAndCheck(t, r)
	})
}
