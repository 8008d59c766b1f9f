package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRuleServiceBackends(t *testing.T) {
	refused20 := fx.Outcomes{v1alpha1.TCPRefused: 20}
	for _, tc := range []struct {
		name  string
		build func() *v1alpha1.Report
		want  []want
	}{{
		name: "selector matches no pod: explains the refused ClusterIP",
		build: func() *v1alpha1.Report {
			svc := fx.WebService()
			svc.Selector = map[string]string{"app": "web", "tier": "frontend"}
			return fx.NewReport([]v1alpha1.Target{svc}, fx.TCP("tcp-1", "svc/web", "10.96.0.20:80", refused20))
		},
		want: []want{{
			id: IDServiceSelectorMatchesNone, hop: "Service default/web selector",
			summary:  []string{"svc/web:http", "selector app=web,tier=frontend matches no pod in namespace default"},
			evidence: []string{"pods selected: 0; endpoints: 0", "connects to the Service IP 10.96.0.20:80: 20 of 20 refused (100%) [ECONNREFUSED x20]"},
			checkIDs: []string{"tcp-1"},
		}},
	}, {
		name: "named targetPort declared by no pod: explains missing endpoints and timeouts",
		build: func() *v1alpha1.Report {
			svc := fx.WebService()
			svc.TargetPort, svc.SelectedPods, svc.UndeclaredPortPods = "http-alt", 2, []string{"web-1", "web-2"}
			return fx.NewReport([]v1alpha1.Target{svc},
				fx.TCP("tcp-1", "svc/web", "10.96.0.20:80", fx.Outcomes{v1alpha1.TCPTimeout: 20}))
		},
		want: []want{{
			id: IDServiceNamedPortUnresolved, hop: "Service default/web targetPort http-alt",
			summary: []string{`targetPort "http-alt" is declared by no container in 2 of 2 selected pods`},
			evidence: []string{`pods without a containerPort named "http-alt" (left out of the endpoints): web-1, web-2`,
				"endpoints: 0 ready of 0", "10.96.0.20:80: 20 of 20 timed out (100%)"},
			fix: "name: http-alt", checkIDs: []string{"tcp-1"},
		}},
	}, {
		name: "named targetPort missing in one of three pods: fault even though traffic flows",
		build: func() *v1alpha1.Report {
			svc := fx.WebService(fx.Web1, fx.Web2)
			svc.TargetPort, svc.SelectedPods, svc.UndeclaredPortPods = "http", 3, []string{"web-3"}
			return fx.NewReport([]v1alpha1.Target{svc},
				fx.TCP("tcp-1", "svc/web", "10.96.0.20:80", fx.Outcomes{v1alpha1.TCPOK: 20}))
		},
		want: []want{{
			id: IDServiceNamedPortUnresolved, summary: []string{"in 1 of 3 selected pods"},
			evidence: []string{"left out of the endpoints): web-3", "endpoints: 2 ready of 2"},
		}},
	}, {
		name: "endpoints exist but none ready",
		build: func() *v1alpha1.Report {
			a, b := fx.Web1, fx.Web2
			a.Ready, b.Ready = false, false
			return fx.NewReport([]v1alpha1.Target{fx.WebService(a, b)}, fx.TCP("tcp-1", "svc/web", "10.96.0.20:80", refused20),
				fx.TCP("tcp-2", "svc/web endpoint web-1", "10.244.1.5:8080", refused20),
				fx.TCP("tcp-3", "svc/web endpoint web-2", "10.244.0.7:8080", fx.Outcomes{v1alpha1.TCPOK: 20}))
		},
		want: []want{{
			id: IDServiceNoReadyEndpoints, hop: "Service default/web endpoints",
			summary: []string{"svc/web:http has 2 endpoints, none ready"},
			evidence: []string{"10.244.1.5:8080 (pod default/web-1 on node k8slab-node2): not ready",
				"10.244.0.7:8080 (pod default/web-2 on node k8slab-node1): not ready", "selector app=web selects 2 pods",
				"connects to the Service IP 10.96.0.20:80: 20 of 20 refused",
				"connects to endpoint 10.244.1.5:8080 (pod default/web-1): 20 of 20 refused (100%)",
				"connects to endpoint 10.244.0.7:8080 (pod default/web-2): 20/20 connected"},
			checkIDs: []string{"tcp-1", "tcp-2", "tcp-3"},
		}},
	}, {
		name: "pods selected but no endpoints at all",
		build: func() *v1alpha1.Report {
			svc := fx.WebService()
			svc.SelectedPods = 2
			return fx.NewReport([]v1alpha1.Target{svc}, fx.TCP("tcp-1", "svc/web", "10.96.0.20:80", refused20))
		},
		want: []want{{id: IDServiceNoReadyEndpoints, summary: []string{"has no endpoints (2 pods selected)"}}},
	}, {
		name:  "healthy service says nothing",
		build: fx.Healthy,
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, tc.build(), tc.want...) })
	}
}
