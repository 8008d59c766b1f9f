package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// webAcrossNodes is svc/web with web-1 on node 2 unreachable (every SYN lost)
// and web-2 on node 1 fine, so the ClusterIP fails about half the time.
func webAcrossNodes(extra ...v1alpha1.CheckResult) *v1alpha1.Report {
	web1, web2 := fixture.Web1, fixture.Web2
	results := []v1alpha1.CheckResult{
		fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 11, v1alpha1.TCPTimeout: 9}),
		fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPTimeout: 10}),
		fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
	}
	return fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)}, append(results, extra...)...)
}

// diedAt is the trace to web-1 whose SYNs were last seen on hop last.
func diedAt(last int) v1alpha1.CheckResult {
	hops := fixture.CrossNodeHops("web-1")
	return fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops,
		fixture.TraceProbes(hops, 3, "10.244.1.5:8080", last, nil, 0, ""))
}

func TestIPForwardDisabled(t *testing.T) {
	forwardOff := func(info *v1alpha1.NodeInfoResult) {
		for k := range info.Sysctls {
			if k == "net.ipv4.ip_forward" || (len(k) > 14 && k[len(k)-11:] == ".forwarding") {
				info.Sysctls[k] = "0"
			}
		}
	}
	t.Run("node 2 off, trace dies between flannel.1 and cni0", func(t *testing.T) {
		r := webAcrossNodes(append(append(fixture.NodeInfoPair(fixture.Node1, nil), fixture.NodeInfoPair(fixture.Node2, forwardOff)...),
			diedAt(6), fixture.ICMPEcho("icmp-1", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5", 3, 0))...)
		diagnoseAndCheck(t, r, want{
			id:      IDIPForwardDisabled,
			hop:     "node k8slab-node2 between flannel.1 and cni0",
			summary: []string{"svc/web:http: node k8slab-node2 does not forward packets (net.ipv4.ip_forward=0): packets reach it and die at node k8slab-node2 between flannel.1 and cni0"},
			evidence: []string{
				"node k8slab-node2 (nodeinfo after the probes): net.ipv4.ip_forward=0",
				"SYN 10.244.0.5 -> 10.244.1.5:8080 seen on k8slab-node1/pod client, k8slab-node1/veth3f1c2a9b, k8slab-node1/cni0, k8slab-node1/flannel.1, k8slab-node1/eth0, k8slab-node2/eth0, k8slab-node2/flannel.1; not on k8slab-node2/cni0, k8slab-node2/veth8c0d4e21, k8slab-node2/pod web-1 (3 of 3 unanswered probes)",
				"10.244.1.5:8080: 10 of 10 timed out (100%)",
				"via the Service IP 10.96.0.20:80: 9 of 20 timed out (45%)",
				"ICMP echo to 10.244.1.5: 0/3 replies",
			},
			checkIDs: []string{"nodeinfo-before-node2", "nodeinfo-after-node2", "trace:10.244.1.5:8080", "tcp-1", "tcp-2", "icmp-1"},
		})
	})

	t.Run("no trace: the devices it cannot route between", func(t *testing.T) {
		r := webAcrossNodes(fixture.NodeInfoPair(fixture.Node2, forwardOff)...)
		diagnoseAndCheck(t, r, want{
			id:       IDIPForwardDisabled,
			hop:      "node k8slab-node2 (it routes no packet between flannel.1 and cni0)",
			evidence: []string{"10.244.1.5:8080: 10 of 10 timed out (100%)"},
		})
	})

	t.Run("only the overlay's switch off", func(t *testing.T) {
		r := webAcrossNodes(fixture.NodeInfoPair(fixture.Node2, func(info *v1alpha1.NodeInfoResult) {
			info.Sysctls["net.ipv4.conf.flannel.1.forwarding"] = "0"
		})...)
		diagnoseAndCheck(t, r, want{id: IDIPForwardDisabled,
			summary: []string{"(net.ipv4.conf.flannel/1.forwarding=0)"}})
	})

	t.Run("a node no traffic crossed: warning", func(t *testing.T) {
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web2)},
			append([]v1alpha1.CheckResult{
				fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
				fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", fixture.Web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			}, fixture.NodeInfoPair(fixture.Node2, forwardOff)...)...)
		diagnoseAndCheck(t, r, want{id: IDIPForwardDisabled, severity: v1alpha1.SeverityWarning,
			evidence: []string{"no traffic of this run crossed the node"}})
	})
}

func TestVXLANPeerMismatch(t *testing.T) {
	t.Run("wrong neighbour MAC for node 2's VTEP on node 1", func(t *testing.T) {
		r := webAcrossNodes(append(fixture.NodeInfoPair(fixture.Node1, func(info *v1alpha1.NodeInfoResult) {
			info.Neighbors[0].MAC = "02:00:00:00:00:01"
		}), append(fixture.NodeInfoPair(fixture.Node2, nil), diedAt(3))...)...)
		diagnoseAndCheck(t, r, want{
			id:  IDVXLANPeerMismatch,
			hop: "node k8slab-node1 between flannel.1 and eth0",
			summary: []string{"node k8slab-node1's flannel.1 sends traffic for node k8slab-node2's pods to the wrong VTEP: " +
				"neighbour 10.244.1.0 on flannel.1 -> 02:00:00:00:00:01 (permanent), but k8slab-node2's flannel annotation says VtepMAC b2:7c:19:22:00:02"},
			evidence: []string{
				"node k8slab-node2 annotations: backend-data VtepMAC b2:7c:19:22:00:02 VNI 1, public-ip 192.168.56.12, podCIDR 10.244.1.0/24",
				"not on k8slab-node1/eth0, k8slab-node2/eth0",
				"10.244.1.5:8080: 10 of 10 timed out (100%)",
			},
		})
	})

	t.Run("FDB entry sends node 2's VtepMAC elsewhere", func(t *testing.T) {
		r := webAcrossNodes(append(fixture.NodeInfoPair(fixture.Node1, func(info *v1alpha1.NodeInfoResult) {
			info.FDB[0].Dst = "192.168.56.99"
		}), fixture.NodeInfoPair(fixture.Node2, nil)...)...)
		diagnoseAndCheck(t, r, want{
			id:      IDVXLANPeerMismatch,
			hop:     "node k8slab-node1 after flannel.1 (VXLAN toward node k8slab-node2)",
			summary: []string{"FDB b2:7c:19:22:00:02 on flannel.1 -> dst 192.168.56.99, but k8slab-node2's flannel public-ip is 192.168.56.12"},
		})
	})

	t.Run("missing entries", func(t *testing.T) {
		r := webAcrossNodes(fixture.NodeInfoPair(fixture.Node1, func(info *v1alpha1.NodeInfoResult) {
			info.Neighbors, info.FDB = nil, nil
		})...)
		diagnoseAndCheck(t, r, want{
			id:       IDVXLANPeerMismatch,
			summary:  []string{"no neighbour entry for k8slab-node2's VTEP 10.244.1.0 on flannel.1"},
			evidence: []string{"no FDB entry for k8slab-node2's VtepMAC b2:7c:19:22:00:02 on flannel.1 (flannel publishes public-ip 192.168.56.12)"},
		})
	})
}

func TestVXLANSourceMismatch(t *testing.T) {
	r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, fixture.Web2)},
		append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
		}, fixture.NodeInfoPair(fixture.Node1, func(info *v1alpha1.NodeInfoResult) {
			fixture.Link(info, "flannel.1").VXLAN.Local = "172.17.0.1"
		})...)...)
	diagnoseAndCheck(t, r, want{
		id:      IDVXLANSourceMismatch,
		hop:     "node k8slab-node1 flannel.1 (VXLAN local 172.17.0.1)",
		summary: []string{"node k8slab-node1: flannel.1 encapsulates from 172.17.0.1, not 192.168.56.11 (the public-ip flannel published for it)"},
		evidence: []string{"flannel.1: VNI 1, local 172.17.0.1, dstport 8472, underlay eth0",
			"node k8slab-node1 flannel public-ip 192.168.56.11: peers' FDB entries send its VtepMAC there"},
	})
}
