package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRuleTCPTarget(t *testing.T) {
	api := fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)
	ipTarget := v1alpha1.Target{Spec: "10.200.0.1:443", Kind: "ip", IPs: []string{"10.200.0.1"}, Port: 443}
	// A literal IP the resolver found to be api-0's (ip targets carry the pod then).
	apiByIP := v1alpha1.Target{Spec: "10.244.1.9:9000", Kind: "ip", Namespace: "default", Name: "api-0", Pod: "api-0",
		IPs: []string{"10.244.1.9"}, Port: 9000, Protocol: "TCP", Node: fx.Node2}
	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name:    "pod refuses, no netinfo",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPRefused: 20})},
		want: []want{{id: IDTCPRefused, hop: "pod default/api-0 10.244.1.9:9000 on node k8slab-node2",
			summary:  []string{"pod/api-0:9000: every connect to 10.244.1.9:9000 refused (20 of 20)"},
			evidence: []string{"10.244.1.9:9000: 20 of 20 refused (100%) [ECONNREFUSED x20]"}, checkIDs: []string{"tcp-1"}}},
	}, {
		name:    "pod times out: the path between the two nodes",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPTimeout: 3})},
		want: []want{{id: IDTCPTimeout,
			hop: "between pod default/client on node k8slab-node1 and pod default/api-0 10.244.1.9:9000 on node k8slab-node2"}},
	}, {
		name:    "literal IP times out",
		targets: []v1alpha1.Target{ipTarget},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "10.200.0.1:443", "10.200.0.1:443", fx.Outcomes{v1alpha1.TCPTimeout: 3})},
		want:    []want{{id: IDTCPTimeout, hop: "10.200.0.1:443", summary: []string{"10.200.0.1:443: every connect to 10.200.0.1:443 timed out (3 of 3)"}}},
	}, {
		name:    "no route",
		targets: []v1alpha1.Target{ipTarget},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "10.200.0.1:443", "10.200.0.1:443", fx.Outcomes{v1alpha1.TCPUnreachable: 3})},
		want:    []want{{id: IDHostUnreachable, evidence: []string{"3 of 3 unreachable (100%) [EHOSTUNREACH x3]"}}},
	}, {
		// As on the lab cluster with a REJECT --reject-with icmp-host-unreachable:
		// the rejecting kernel answers a burst of 6, then 1 a second, so most
		// connects time out. It was reported as tcp-timeout.
		name:    "unreachable answers next to rate-limited timeouts: host unreachable",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPUnreachable: 8, v1alpha1.TCPTimeout: 12})},
		want: []want{{id: IDHostUnreachable,
			summary:  []string{"every connect to 10.244.1.9:9000 unreachable (20 of 20)"},
			hop:      "between pod default/client on node k8slab-node1 and pod default/api-0 10.244.1.9:9000 on node k8slab-node2",
			evidence: []string{"12 timed out, 8 unreachable [ETIMEDOUT x12, EHOSTUNREACH x8]", "the timeouts next to the unreachable answers are the same answers"}}},
	}, {
		// As on the lab cluster: `--to 10.244.x.y:8080` of a pod was named by its bare address only.
		name:    "an IP target known to be a pod is named as the pod",
		targets: []v1alpha1.Target{apiByIP},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "10.244.1.9:9000", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPTimeout: 20})},
		want: []want{{id: IDTCPTimeout,
			hop: "between pod default/client on node k8slab-node1 and pod default/api-0 10.244.1.9:9000 on node k8slab-node2"}},
	}, {
		name:    "ClusterIP refused while every backend connects: kube-proxy, not the pods",
		targets: []v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)},
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPRefused: 20}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 10}), epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 10})},
		want: []want{{id: IDTCPRefused,
			hop:      "Service IP 10.96.0.20:80: the Service path (kube-proxy rules on node k8slab-node1), not the backends",
			evidence: []string{"yet every probed endpoint connects directly: 10.244.1.5:8080 10/10, 10.244.0.7:8080 10/10"}}},
	}, {
		name:    "connections that pass need no finding",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPOK: 20})},
	}, {
		name:    "IPv6 addresses match their target in any spelling",
		targets: []v1alpha1.Target{{Spec: "pod/v6:80", Kind: "pod", Namespace: "default", Name: "v6", IPs: []string{"fd00:10:244::5"}, Port: 80, Node: fx.Node2}},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/v6", "[fd00:10:244:0::5]:80", fx.Outcomes{v1alpha1.TCPRefused: 2})},
		want:    []want{{id: IDTCPRefused, hop: "pod default/v6 [fd00:10:244::5]:80 on node k8slab-node2"}},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(tc.targets, tc.results...), tc.want...) })
	}
}
