package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestBridgeNFCallOff(t *testing.T) {
	web2 := fixture.Web2 // on node 1, like the client
	off := func(info *v1alpha1.NodeInfoResult) { info.Sysctls["net.bridge.bridge-nf-call-iptables"] = "0" }

	t.Run("client and endpoint on one bridge: the Service IP fails", func(t *testing.T) {
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web2)}, append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPTimeout: 20}),
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			// The CoreDNS replica on node 1 shares the bridge too: through the Service IP, some queries are lost.
			fixture.DNS("dns-1", "web", "web.default.svc.cluster.local", []string{"web.default.svc.cluster.local"},
				fixture.Query(fixture.KubeDNSIP, "kube-dns", "resolv.conf", "udp", "web.default.svc.cluster.local.", ""),
				fixture.Query(fixture.KubeDNSIP, "kube-dns", "resolv.conf", "udp", "web.default.svc.cluster.local.", "NOERROR", fixture.WebClusterIP),
				fixture.Query("10.244.0.3", "kube-system/coredns-a (node k8slab-node1)", "endpoint", "udp", "web.default.svc.cluster.local.", "NOERROR", fixture.WebClusterIP),
				fixture.Query("10.244.1.3", "kube-system/coredns-b (node k8slab-node2)", "endpoint", "udp", "web.default.svc.cluster.local.", "NOERROR", fixture.WebClusterIP)),
		}, fixture.NodeInfoPair(fixture.Node1, func(info *v1alpha1.NodeInfoResult) {
			off(info)
			fixture.DeleteChain(info, "nat", "KUBE-SEP-W1AAAAAAAAAAAAAA") // web-1 is not an endpoint here
		})...)...)
		r.Results[3].NodeInfo.Sysctls["net.bridge.bridge-nf-call-iptables"] = "0" // off before the run too
		diagnoseAndCheck(t, r, want{
			id: IDBridgeNFCallOff, severity: v1alpha1.SeverityFault,
			hop: "node k8slab-node1 bridge cni0 (bridged replies skip iptables)",
			summary: []string{"svc/web:http: connections through the Service IP fail on node k8slab-node1: " +
				"net.bridge.bridge-nf-call-iptables=0"},
			evidence: []string{
				"the client and endpoints 10.244.0.7:8080 (pod default/web-2) share node k8slab-node1's bridge",
				"via the Service IP 10.96.0.20:80: 20 of 20 timed out (100%)",
				"DNS through the Service IP 10.96.0.10: 1 of 2 queries timed out",
			},
			checkIDs: []string{"nodeinfo-before-node1", "nodeinfo-after-node1", "tcp-1", "dns-1"},
		})
	})

	t.Run("nothing failed: a latent warning", func(t *testing.T) {
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, web2)}, append([]v1alpha1.CheckResult{
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
		}, fixture.NodeInfoPair(fixture.Node2, off)...)...)
		diagnoseAndCheck(t, r, want{id: IDBridgeNFCallOff, hop: "node k8slab-node2 bridge cni0 (bridged replies skip iptables)"})
	})
}
