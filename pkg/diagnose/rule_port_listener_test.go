package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRulePortListener(t *testing.T) {
	api := fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)
	refused := fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPRefused: 20})
	apiHop := "pod default/api-0 10.244.1.9:9000 on node k8slab-node2"
	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name:    "bound to 127.0.0.1 only",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused,
			fx.NetInfo("ni-1", "api-0", "10.244.1.9", fx.Listener("127.0.0.1", 9000), fx.Listener("0.0.0.0", 9090))},
		want: []want{{
			id: IDListeningOnLoopbackOnly, hop: apiHop,
			summary: []string{"pod default/api-0 listens on 127.0.0.1:9000 only, so 10.244.1.9:9000 is refused"},
			evidence: []string{"connects to 10.244.1.9:9000: 20 of 20 refused (100%) [ECONNREFUSED x20]",
				"pod default/api-0 TCP listeners on port 9000: 127.0.0.1:9000 (loopback only)"},
			checkIDs: []string{"tcp-1", "ni-1"}, fix: "bind 0.0.0.0:9000",
		}},
	}, {
		name:    "bound to ::1 only",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused,
			fx.NetInfo("ni-1", "api-0", "10.244.1.9", v1alpha1.Listener{Proto: "tcp6", Addr: "::1", Port: 9000})},
		want: []want{{id: IDListeningOnLoopbackOnly, evidence: []string{"[::1]:9000 (loopback only)"}}},
	}, {
		name:    "nothing on the port, the app listens elsewhere",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused,
			fx.NetInfo("ni-1", "api-0", "10.244.1.9", fx.Listener("0.0.0.0", 9001), fx.Listener("127.0.0.1", 6060),
				v1alpha1.Listener{Proto: "udp", Addr: "0.0.0.0", Port: 9000})},
		want: []want{{
			id: IDPortNotListening, hop: apiHop,
			summary:  []string{"nothing listens on port 9000 in pod default/api-0"},
			evidence: []string{"pod default/api-0 TCP listeners: 0.0.0.0:9001, 127.0.0.1:6060"},
			checkIDs: []string{"tcp-1", "ni-1"},
		}},
	}, {
		name:    "no listener at all",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused, fx.NetInfo("ni-1", "api-0", "10.244.1.9")},
		want:    []want{{id: IDPortNotListening, evidence: []string{"TCP listeners: none"}}},
	}, {
		name:    "a wildcard listener exists: the refusal is a REJECT rule",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused, fx.NetInfo("ni-1", "api-0", "10.244.1.9", fx.Listener("0.0.0.0", 9000))},
		want: []want{{id: IDTCPRefused, hop: apiHop,
			evidence: []string{"pod default/api-0 does listen on port 9000 (netinfo), so the refusal comes from a REJECT rule"}}},
	}, {
		name:    "a pod-IP listener counts as reachable",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused, fx.NetInfo("ni-1", "api-0", "10.244.1.9", fx.Listener("10.244.1.9", 9000))},
		want:    []want{{id: IDTCPRefused}},
	}, {
		name:    "timeouts are not a listener problem",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPTimeout: 5}),
			fx.NetInfo("ni-1", "api-0", "10.244.1.9", fx.Listener("127.0.0.1", 9000))},
		want: []want{{id: IDTCPTimeout}},
	}, {
		name:    "netinfo of another pod is not evidence",
		targets: []v1alpha1.Target{api},
		results: []v1alpha1.CheckResult{refused, fx.NetInfo("ni-1", "api-1", "10.244.1.10", fx.Listener("127.0.0.1", 9000))},
		want:    []want{{id: IDTCPRefused}},
	}, {
		name:    "a Service backend on loopback explains the flaky ClusterIP",
		targets: []v1alpha1.Target{fx.WebService(fx.Web1, fx.Web2)},
		results: []v1alpha1.CheckResult{
			fx.TCP("tcp-1", "svc/web", "10.96.0.20:80", fx.Outcomes{v1alpha1.TCPOK: 10, v1alpha1.TCPRefused: 10}),
			fx.TCP("tcp-2", fx.EndpointLabel("svc/web", fx.Web1), "10.244.1.5:8080", fx.Outcomes{v1alpha1.TCPRefused: 10}),
			fx.TCP("tcp-3", fx.EndpointLabel("svc/web", fx.Web2), "10.244.0.7:8080", fx.Outcomes{v1alpha1.TCPOK: 10}),
			fx.NetInfo("ni-1", "web-1", "10.244.1.5", fx.Listener("127.0.0.1", 8080)),
		},
		want: []want{{
			id: IDListeningOnLoopbackOnly, hop: "endpoint 10.244.1.5:8080 (pod default/web-1 on node k8slab-node2)",
			summary: []string{"svc/web:http: pod default/web-1 listens on 127.0.0.1:8080 only"},
			evidence: []string{"this explains the Service IP 10.96.0.20:80: 10 of 20 refused (50%); dead: 1 of 2 ready endpoints, " +
				"so about 50% of connections through the Service land on a dead one"},
			checkIDs: []string{"tcp-1", "tcp-2", "ni-1"},
		}},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(tc.targets, tc.results...), tc.want...) })
	}
}
