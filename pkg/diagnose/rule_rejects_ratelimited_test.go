package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// An iptables REJECT (ICMP port-unreachable) seen from one client: the
// rejecting kernel answers a burst of 6 SYNs, then rate-limits its ICMP
// (net.ipv4.icmp_ratelimit), so the rest of the connects time out. The numbers
// are those the e2e tests measured on the lab cluster (issue #3).
func TestRateLimitedRejectsAreRefusals(t *testing.T) {
	web := []v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)}
	web1Hop := "endpoint 10.244.1.5:8080 (pod default/web-1 on node k8slab-node2)"
	for _, tc := range []struct {
		name    string
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name: "a full REJECT on one backend: 4 refused, 16 timed out is a refusing endpoint",
		results: []v1alpha1.CheckResult{
			clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 8, v1alpha1.TCPRefused: 5, v1alpha1.TCPTimeout: 7}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPRefused: 4, v1alpha1.TCPTimeout: 16}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 20}),
		},
		want: []want{{
			id: IDEndpointRefused, hop: web1Hop,
			summary:  []string{"every connect to endpoint 10.244.1.5:8080 refused"},
			evidence: []string{"20 of 20 failed (100%): 16 timed out, 4 refused", "net.ipv4.icmp_ratelimit"},
			checkIDs: []string{"tcp-1", "tcp-2"},
		}},
	}, {
		name: "a random 25% REJECT on one backend: intermittent refusals, not timeouts",
		results: []v1alpha1.CheckResult{
			clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 162, v1alpha1.TCPRefused: 6, v1alpha1.TCPTimeout: 32}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 140, v1alpha1.TCPRefused: 7, v1alpha1.TCPTimeout: 53}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 200}),
		},
		want: []want{{
			id: IDTCPIntermittentRefused, hop: web1Hop,
			summary:  []string{"intermittent, 60 of 200 failed (30%): 53 timed out, 7 refused at endpoint 10.244.1.5:8080"},
			evidence: []string{"endpoint 10.244.0.7:8080 (pod default/web-2): 200/200 connected", "net.ipv4.icmp_ratelimit"},
		}},
	}, {
		name: "timeouts alone stay timeouts: a DROP never refuses",
		results: []v1alpha1.CheckResult{
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 150, v1alpha1.TCPTimeout: 50}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 200}),
		},
		want: []want{{id: IDTCPIntermittentTimeout, hop: web1Hop}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := diagnoseAndCheck(t, fx.NewReport(web, tc.results...), tc.want...)
			if tc.want[0].id == IDTCPIntermittentTimeout && containsLine(got[0].Evidence, "icmp_ratelimit") {
				t.Errorf("a plain timeout blames ICMP rate limiting: %v", got[0].Evidence)
			}
		})
	}
}
