package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRuleICMPReachability(t *testing.T) {
	api := fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)
	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name:    "a ClusterIP never answers ping; TCP works: info only",
		targets: []v1alpha1.Target{fx.WebService(fx.Web1)},
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}),
			fx.ICMPEcho("icmp-1", "svc/web", fx.WebClusterIP, 3, 0)},
		want: []want{{id: IDICMPBlockedTCPOK, hop: "10.96.0.20",
			summary: []string{"svc/web:http: 10.96.0.20 does not answer ping, but TCP to 10.96.0.20:80 connects"},
			evidence: []string{"10.96.0.20: 0 of 3 echo replies", "TCP 10.96.0.20:80: 20/20 connected, p50 0.4ms",
				"10.96.0.20 is a Service ClusterIP: it is virtual"},
			checkIDs: []string{"icmp-1", "tcp-1"}}},
	}, {
		name:    "ICMP unreachable joins the TCP unreachable finding",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPUnreachable: 3}),
			fx.ICMPEcho("icmp-1", "pod/api-0", "10.244.1.9", 3, 0, "host unreachable from 10.244.0.1")},
		want: []want{{id: IDHostUnreachable, checkIDs: []string{"tcp-1", "icmp-1"},
			evidence: []string{"3 of 3 unreachable", "10.244.1.9: 0 of 3 echo replies", "host unreachable from 10.244.0.1"}}},
	}, {
		name:    "ICMP unreachable with no TCP evidence",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.ICMPEcho("icmp-1", "pod/api-0", "10.244.1.9", 3, 0, "net unreachable from 10.244.0.1")},
		want: []want{{id: IDHostUnreachable, checkIDs: []string{"icmp-1"},
			hop:     "between pod default/client on node k8slab-node1 and 10.244.1.9",
			summary: []string{"pod/api-0:9000: 10.244.1.9 is unreachable (net unreachable from 10.244.0.1)"}}},
	}, {
		name:    "echo loss plus TCP timeouts: the TCP finding says it all",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPTimeout: 3}),
			fx.ICMPEcho("icmp-1", "pod/api-0", "10.244.1.9", 3, 0)},
		want: []want{{id: IDTCPTimeout},
			{id: IDCheckFailedUnexplained, checkIDs: []string{"icmp-1"}, summary: []string{"icmp check failed: 0/3 echo replies"}}},
	}, {
		name:    "replies come back: nothing to say",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.ICMPEcho("icmp-1", "pod/api-0", "10.244.1.9", 3, 3)},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(tc.targets, tc.results...), tc.want...) })
	}
}
