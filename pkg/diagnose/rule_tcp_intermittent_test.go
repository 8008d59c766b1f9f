package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRuleTCPIntermittent(t *testing.T) {
	web := []v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)}
	api := []v1alpha1.Target{fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)}
	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name:    "ClusterIP only: 5 of 20 refused is a failure, not a pass",
		targets: web,
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 15, v1alpha1.TCPRefused: 5})},
		want: []want{{
			id: IDTCPIntermittentRefused, hop: "Service IP 10.96.0.20:80 (endpoints not probed)",
			summary:  []string{"svc/web:http: intermittent, 5 of 20 refused (25%) at Service IP 10.96.0.20:80"},
			evidence: []string{"Service IP 10.96.0.20:80: 5 of 20 refused (25%)"}, checkIDs: []string{"tcp-1"},
		}},
	}, {
		name:    "one flaky backend: rate per endpoint, hop names it",
		targets: web,
		results: []v1alpha1.CheckResult{
			clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 17, v1alpha1.TCPRefused: 3}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 5, v1alpha1.TCPRefused: 5}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 10}),
		},
		want: []want{{
			id: IDTCPIntermittentRefused, hop: "endpoint 10.244.1.5:8080 (pod default/web-1 on node k8slab-node2)",
			summary: []string{"intermittent, 5 of 10 refused (50%) at endpoint 10.244.1.5:8080 (pod default/web-1)"},
			evidence: []string{"Service IP 10.96.0.20:80: 3 of 20 refused (15%)",
				"endpoint 10.244.1.5:8080 (pod default/web-1): 5 of 10 refused (50%)",
				"endpoint 10.244.0.7:8080 (pod default/web-2): 10/10 connected"},
			checkIDs: []string{"tcp-1", "tcp-2", "tcp-3"},
		}},
	}, {
		// The demo's case: the follow-up found web-1 listening on 8080, so the
		// refusals are a rule's, not a restarting server's.
		name:    "one backend refuses a quarter while it listens: a REJECT rule",
		targets: web,
		results: []v1alpha1.CheckResult{
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 15, v1alpha1.TCPRefused: 5}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 20}),
			fx.NetInfo("netinfo-web-1", "web-1", fx.Web1.IP, fx.Listener("::", 8080)),
		},
		want: []want{{
			id: IDTCPIntermittentRefused, hop: "endpoint 10.244.1.5:8080 (pod default/web-1 on node k8slab-node2)",
			evidence: []string{"pod default/web-1 does listen on port 8080 (netinfo), so the refusal comes from a REJECT rule"},
			fix: "Pod default/web-1 listens on port 8080, so unless it restarted during the run (kubectl get pod " +
				"shows restarts) the refusals come from a REJECT rule in the pod's network namespace or on node k8slab-node2",
		}},
	}, {
		name:    "two flaky backends: the worst heads the summary",
		targets: web,
		results: []v1alpha1.CheckResult{
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 9, v1alpha1.TCPTimeout: 1}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 6, v1alpha1.TCPTimeout: 4}),
		},
		want: []want{{
			id:      IDTCPIntermittentTimeout,
			hop:     "endpoint 10.244.1.5:8080 (pod default/web-1); endpoint 10.244.0.7:8080 (pod default/web-2)",
			summary: []string{"4 of 10 timed out (40%) at endpoint 10.244.0.7:8080"},
		}},
	}, {
		name:    "ClusterIP flaky while every backend connects directly: the Service path",
		targets: web,
		results: []v1alpha1.CheckResult{
			clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 18, v1alpha1.TCPTimeout: 2}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 10}), epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 10}),
		},
		want: []want{{id: IDTCPIntermittentTimeout,
			hop: "Service IP 10.96.0.20:80 (every probed endpoint connects directly: the Service path on node k8slab-node1)"}},
	}, {
		name:    "a pod with mixed failures",
		targets: api,
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000",
			fx.Outcomes{v1alpha1.TCPOK: 13, v1alpha1.TCPRefused: 5, v1alpha1.TCPTimeout: 2})},
		want: []want{{id: IDTCPIntermittentRefused, hop: "pod default/api-0 10.244.1.9:9000 on node k8slab-node2",
			evidence: []string{"7 of 20 failed (35%): 5 refused, 2 timed out"}}},
	}, {
		name:    "an address no target owns",
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "10.201.0.1:443", "10.201.0.1:443", fx.Outcomes{v1alpha1.TCPOK: 1, v1alpha1.TCPTimeout: 1})},
		want:    []want{{id: IDTCPIntermittentTimeout, hop: "10.201.0.1:443", summary: []string{"10.201.0.1:443: intermittent, 1 of 2 timed out (50%)"}}},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(tc.targets, tc.results...), tc.want...) })
	}
}
