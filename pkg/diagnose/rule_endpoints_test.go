package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// Tests of ruleAllEndpointsDead, ruleEndpointDead and ruleFrontExplainedByEndpoints:
// which backend of a Service is dead and how that explains the ClusterIP's failures.

func epTCP(id string, ep v1alpha1.Endpoint, o fx.Outcomes) v1alpha1.CheckResult {
	return fx.TCP(id, fx.EndpointLabel("svc/web", ep), ep.IP+":8080", o)
}

func clusterIPTCP(id string, o fx.Outcomes) v1alpha1.CheckResult {
	return fx.TCP(id, "svc/web", fx.WebClusterIP+":80", o)
}

func TestRuleEndpointDead(t *testing.T) {
	ok10 := fx.Outcomes{v1alpha1.TCPOK: 10}
	web1Hop := "endpoint 10.244.1.5:8080 (pod default/web-1 on node k8slab-node2)"
	notReady := fx.Web1
	notReady.Ready = false
	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name:    "issue #3: one of four backends refuses, the ClusterIP fails 5 of 20",
		targets: fx.OneEndpointRefused().Targets,
		results: fx.OneEndpointRefused().Results,
		want: []want{{
			id: IDEndpointRefused, hop: web1Hop,
			summary: []string{"svc/web:http: every connect to endpoint 10.244.1.5:8080 refused (pod default/web-1) while other endpoints connect"},
			evidence: []string{
				"10.244.1.5:8080: 10 of 10 refused (100%) [ECONNREFUSED x10]",
				"other endpoints connect: 10.244.0.7:8080 10/10, 10.244.1.6:8080 10/10, 10.244.0.8:8080 10/10",
				"this explains the Service IP 10.96.0.20:80: 5 of 20 refused (25%); dead: 1 of 4 ready endpoints, so about 25%",
			},
			checkIDs: []string{"tcp-1", "tcp-2"},
		}},
	}, {
		name:    "one backend swallows SYNs: timeout, ClusterIP intermittent timeouts folded in",
		targets: []v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)},
		results: []v1alpha1.CheckResult{
			clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 11, v1alpha1.TCPTimeout: 9}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPTimeout: 5}),
			epTCP("tcp-3", fx.Web2, ok10),
		},
		want: []want{{
			id: IDEndpointTimeout, hop: web1Hop,
			summary:  []string{"every connect to endpoint 10.244.1.5:8080 timed out"},
			evidence: []string{"10.244.1.5:8080: 5 of 5 timed out (100%) [ETIMEDOUT x5]", "10.96.0.20:80: 9 of 20 timed out (45%)"},
			checkIDs: []string{"tcp-1", "tcp-2"},
		}},
	}, {
		name:    "a not-ready backend refusing is expected: warning",
		targets: []v1alpha1.Target{fx.WebService(notReady, fx.Web2)},
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}),
			epTCP("tcp-2", notReady, fx.Outcomes{v1alpha1.TCPRefused: 10}), epTCP("tcp-3", fx.Web2, ok10)},
		want: []want{{id: IDEndpointRefused, severity: v1alpha1.SeverityWarning,
			evidence: []string{"the endpoint is not ready, so the Service does not send it traffic"}}},
	}, {
		name:    "the backend has a wildcard listener: a REJECT rule refuses",
		targets: []v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)},
		results: []v1alpha1.CheckResult{epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPRefused: 10}), epTCP("tcp-3", fx.Web2, ok10),
			fx.NetInfo("ni-1", "web-1", fx.Web1.IP, fx.Listener("::", 8080))},
		want: []want{{id: IDEndpointRefused, evidence: []string{"so the refusal comes from a REJECT rule"},
			checkIDs: []string{"tcp-2"}}},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(tc.targets, tc.results...), tc.want...) })
	}
}

func TestRuleAllEndpointsDead(t *testing.T) {
	loopback := func(id string, ep v1alpha1.Endpoint) v1alpha1.CheckResult {
		return fx.NetInfo(id, ep.Pod, ep.IP, fx.Listener("127.0.0.1", 8080))
	}
	for _, tc := range []struct {
		name    string
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name: "every backend refuses: service down",
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPRefused: 20}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPRefused: 10}), epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPRefused: 10})},
		want: []want{{
			id: IDServiceEndpointsAllRefused, hop: "every endpoint of Service default/web (nodes k8slab-node1, k8slab-node2)",
			summary: []string{"svc/web:http: all 2 probed endpoints refuse connections"},
			evidence: []string{"endpoint 10.244.1.5:8080 (pod default/web-1): 10 of 10 refused (100%)",
				"endpoint 10.244.0.7:8080 (pod default/web-2): 10 of 10 refused (100%)",
				"via the Service IP 10.96.0.20:80: 20 of 20 refused (100%)"},
			checkIDs: []string{"tcp-1", "tcp-2", "tcp-3"},
		}},
	}, {
		name: "every backend times out: dropped by policy",
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPTimeout: 3}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPTimeout: 3}), epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPTimeout: 3})},
		want: []want{{id: IDServiceEndpointsAllTimeout, summary: []string{"all 2 probed endpoints time out (SYNs dropped)"},
			evidence: []string{"endpoint 10.244.1.5:8080 (pod default/web-1): 3 of 3 timed out (100%)"}}},
	}, {
		name: "each backend explained by its own listener: no summary finding, the ClusterIP folds in",
		results: []v1alpha1.CheckResult{clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPRefused: 20}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPRefused: 10}), epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPRefused: 10}),
			loopback("ni-1", fx.Web1), loopback("ni-2", fx.Web2)},
		want: []want{
			{id: IDListeningOnLoopbackOnly, checkIDs: []string{"tcp-1", "tcp-2", "ni-1"},
				evidence: []string{"this explains the Service IP 10.96.0.20:80: 20 of 20 refused (100%); dead: 2 of 2"}},
			{id: IDListeningOnLoopbackOnly, checkIDs: []string{"tcp-3", "ni-2"}},
		},
	}, {
		name: "one backend explained, one not: the summary finding names both",
		results: []v1alpha1.CheckResult{epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPRefused: 10}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPRefused: 10}), loopback("ni-1", fx.Web1)},
		want: []want{
			{id: IDListeningOnLoopbackOnly},
			{id: IDServiceEndpointsAllRefused, evidence: []string{
				"endpoint 10.244.1.5:8080 (pod default/web-1): 10 of 10 refused (100%) (explained by listening-on-loopback-only)"}},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := fx.NewReport([]v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)}, tc.results...)
			diagnoseAndCheck(t, r, tc.want...)
		})
	}
}

func TestRuleTargetPortUndeclared(t *testing.T) {
	undeclared := func() v1alpha1.Target {
		svc := fx.WebService(fx.Web1, fx.Web2)
		svc.UndeclaredPortPods = []string{"web-1"}
		return svc
	}
	t.Run("numeric port undeclared, traffic flows: warning", func(t *testing.T) {
		r := fx.NewReport([]v1alpha1.Target{undeclared()}, clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}),
			epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPOK: 10}))
		diagnoseAndCheck(t, r, want{id: IDServiceTargetPortUndeclared, hop: "Service default/web targetPort 8080",
			summary:  []string{"svc/web:http: targetPort 8080 is declared by no container in 1 of 2 selected pods"},
			evidence: []string{"pods not declaring containerPort 8080: web-1"}})
	})
	t.Run("numeric port undeclared and that pod refuses: fault", func(t *testing.T) {
		r := fx.NewReport([]v1alpha1.Target{undeclared()}, epTCP("tcp-2", fx.Web1, fx.Outcomes{v1alpha1.TCPRefused: 10}),
			epTCP("tcp-3", fx.Web2, fx.Outcomes{v1alpha1.TCPOK: 10}))
		diagnoseAndCheck(t, r,
			want{id: IDEndpointRefused, checkIDs: []string{"tcp-2"}},
			want{id: IDServiceTargetPortUndeclared, severity: v1alpha1.SeverityFault,
				summary:  []string{"and connects to them are refused"},
				evidence: []string{"connects to endpoint 10.244.1.5:8080 (pod default/web-1): 10 of 10 refused (100%)"},
				checkIDs: []string{"tcp-2"}})
	})
}
