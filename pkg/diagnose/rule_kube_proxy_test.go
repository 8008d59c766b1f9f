package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestKubeProxyRules(t *testing.T) {
	web1, web2 := fixture.Web1, fixture.Web2
	endpointsOK := []v1alpha1.CheckResult{
		fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
	}
	// viaServiceIP is svc/web with both endpoints connecting, the connects
	// through the ClusterIP ending as front says, and node 1's snapshots
	// (the after one changed by change).
	viaServiceIP := func(front fixture.Outcomes, change func(*v1alpha1.NodeInfoResult)) *v1alpha1.Report {
		results := append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", front),
		}, endpointsOK...)
		results = append(results, fixture.NodeInfoPair(fixture.Node1, change)...)
		return fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, results...)
	}

	t.Run("chain and dispatch rule removed on the source node", func(t *testing.T) {
		// No DNAT: the SYNs to the ClusterIP are routed nowhere.
		r := viaServiceIP(fixture.Outcomes{v1alpha1.TCPTimeout: 20}, func(info *v1alpha1.NodeInfoResult) {
			fixture.DeleteChain(info, "nat", fixture.WebChain)
		})
		diagnoseAndCheck(t, r, want{
			id:  IDKubeProxyRulesMissing,
			hop: "node k8slab-node1: kube-proxy rules for default/web:http (ip nat KUBE-SVC-CDGGSHYLG3RE2FKL)",
			summary: []string{"svc/web:http: node k8slab-node1 has no kube-proxy rules for default/web:http (ClusterIP 10.96.0.20:80, 2 endpoints ready): " +
				"chain KUBE-SVC-CDGGSHYLG3RE2FKL missing from ip nat; no KUBE-SERVICES rule sends 10.96.0.20:80 to KUBE-SVC-CDGGSHYLG3RE2FKL"},
			evidence: []string{
				"KUBE-SERVICES on node k8slab-node1 holds 3 rules for other Services",
				"EndpointSlices list ready endpoints 10.244.1.5:8080 (pod default/web-1), 10.244.0.7:8080 (pod default/web-2)",
				"via the Service IP 10.96.0.20:80: 20 of 20 timed out (100%)",
			},
			checkIDs: []string{"nodeinfo-before-node1", "nodeinfo-after-node1", "tcp-1"},
		})
	})

	t.Run("stale: rules still send to a pod that is gone", func(t *testing.T) {
		web3 := fixture.Web3 // replaced web-1; kube-proxy on node 1 never saw it
		results := []v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 11, v1alpha1.TCPTimeout: 9}),
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web3), "10.244.1.6:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		}
		results = append(results, fixture.NodeInfoPair(fixture.Node1, nil)...)
		// One traced SYN to the ClusterIP was sent to web-1's old address and died on node 2.
		hops := fixture.CrossNodeHops("web-3")[:8]
		probes := fixture.TraceProbes(hops, 1, "10.244.1.5:8080", 6, nil, 0, "")
		probes[0].NAT = []string{"DNAT 10.96.0.20:80 -> 10.244.1.5:8080 between k8slab-node1/pod client and k8slab-node1/veth3f1c2a9b"}
		results = append(results, fixture.Trace("trace:10.96.0.20:80", "svc/web", fixture.WebClusterIP, 80, hops, probes))
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web3, web2)}, results...)
		diagnoseAndCheck(t, r, want{
			id:  IDKubeProxyRulesStale,
			hop: "node k8slab-node1: kube-proxy rules for default/web:http (ip nat KUBE-SVC-CDGGSHYLG3RE2FKL)",
			summary: []string{"node k8slab-node1's kube-proxy rules for default/web:http are stale: they still send to 10.244.1.5:8080 " +
				"(no longer a ready endpoint); they lack ready 10.244.1.6:8080"},
			evidence: []string{
				"KUBE-SVC-CDGGSHYLG3RE2FKL dispatches to 10.244.0.7:8080, 10.244.1.5:8080",
				"via the Service IP 10.96.0.20:80: 9 of 20 timed out (45%) [ETIMEDOUT x9]: about 50% of connections land on a stale endpoint",
				"not on k8slab-node2/cni0 (1 of 1 unanswered probes); DNAT 10.96.0.20:80 -> 10.244.1.5:8080",
			},
		})
	})

	t.Run("ip6 tables listed first: the IPv4 Service is judged in ip nat", func(t *testing.T) {
		r := viaServiceIP(fixture.Outcomes{v1alpha1.TCPTimeout: 20}, func(info *v1alpha1.NodeInfoResult) {
			fixture.DeleteChain(info, "nat", fixture.WebChain)
			fixture.PrependIP6Tables(info)
		})
		diagnoseAndCheck(t, r, want{
			id:       IDKubeProxyRulesMissing,
			hop:      "node k8slab-node1: kube-proxy rules for default/web:http (ip nat KUBE-SVC-CDGGSHYLG3RE2FKL)",
			evidence: []string{"KUBE-SERVICES on node k8slab-node1 holds 3 rules for other Services"},
		})
	})

	t.Run("ip6 tables listed first, IPv4 rules intact: nothing", func(t *testing.T) {
		diagnoseAndCheck(t, viaServiceIP(fixture.Outcomes{v1alpha1.TCPOK: 20}, fixture.PrependIP6Tables))
	})

	t.Run("rules missing from the snapshot but every connect translated: nothing", func(t *testing.T) {
		// kube-proxy rewrote the chain while the snapshot was read; the
		// connects through the Service IP prove the rules were there.
		diagnoseAndCheck(t, viaServiceIP(fixture.Outcomes{v1alpha1.TCPOK: 20}, func(info *v1alpha1.NodeInfoResult) {
			fixture.DeleteChain(info, "nat", fixture.WebChain)
		}))
	})

	t.Run("healthy rules say nothing", func(t *testing.T) {
		diagnoseAndCheck(t, viaServiceIP(fixture.Outcomes{v1alpha1.TCPOK: 20}, nil))
	})

	t.Run("no kube-proxy at all, Service works: a replacement serves it", func(t *testing.T) {
		diagnoseAndCheck(t, viaServiceIP(fixture.Outcomes{v1alpha1.TCPOK: 20}, func(info *v1alpha1.NodeInfoResult) {
			for _, c := range []string{"KUBE-SERVICES", fixture.WebChain} {
				fixture.DeleteChain(info, "nat", c)
			}
		}))
	})
}
