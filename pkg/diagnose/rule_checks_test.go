package diagnose

import (
	"fmt"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRuleCheckErrors(t *testing.T) {
	web := fx.WebService(fx.Web1, fx.Web2)
	t.Run("one check could not run", func(t *testing.T) {
		r := fx.NewReport([]v1alpha1.Target{web}, clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}),
			fx.Errored("dns-1", v1alpha1.CheckDNS, "dns/web", "read /etc/resolv.conf: no such file or directory"))
		diagnoseAndCheck(t, r, want{id: IDCheckError, hop: "pod default/client", checkIDs: []string{"dns-1"},
			summary: []string{"dns/web: dns check could not run: read /etc/resolv.conf: no such file or directory"}})
	})
	t.Run("the same error on many checks is one finding, capped evidence", func(t *testing.T) {
		var results []v1alpha1.CheckResult
		var ids []string
		for i := 1; i <= 10; i++ {
			id := fmt.Sprintf("icmp-%d", i)
			ids = append(ids, id)
			results = append(results, fx.Errored(id, v1alpha1.CheckICMP, "svc/web", "open raw socket: operation not permitted"))
		}
		results = append(results, clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}))
		f := diagnoseAndCheck(t, fx.NewReport([]v1alpha1.Target{web}, results...), want{id: IDCheckError, checkIDs: ids,
			summary:  []string{"10 icmp checks could not run: open raw socket: operation not permitted"},
			evidence: []string{"icmp-1 svc/web (pod default/client): open raw socket", "... and 2 more"},
			fix:      "--profile=netadmin"})
		if n := len(f[0].Evidence); n != maxListed+1 {
			t.Errorf("evidence has %d lines, want %d", n, maxListed+1)
		}
	})
}

func TestRuleCheckMissing(t *testing.T) {
	t.Run("no results at all", func(t *testing.T) {
		diagnoseAndCheck(t, fx.NewReport([]v1alpha1.Target{fx.WebService(fx.Web1)}),
			want{id: IDCheckMissing, summary: []string{"no check results"}, evidence: []string{"1 targets resolved, 0 results"}})
	})
	t.Run("one of two targets has no result", func(t *testing.T) {
		api := fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)
		r := fx.NewReport([]v1alpha1.Target{fx.WebService(fx.Web1), api}, clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}))
		diagnoseAndCheck(t, r, want{id: IDCheckMissing, summary: []string{"pod/api-0:9000: no check result for this target"},
			evidence: []string{"1 results in the report, none for pod/api-0:9000 (IPs 10.244.1.9)"}})
	})
	t.Run("a target with a finding of its own is covered", func(t *testing.T) {
		svc := fx.WebService()
		r := fx.NewReport([]v1alpha1.Target{svc, fx.WebService(fx.Web1)}, clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}))
		r.Targets[0].Spec, r.Targets[0].IPs = "svc/empty", []string{"10.96.0.99"}
		diagnoseAndCheck(t, r, want{id: IDServiceSelectorMatchesNone})
	})
}

func TestRuleCheckFailedUnexplained(t *testing.T) {
	odd := fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPError: 3})
	odd.Summary = "0/3 connected, 3 error"
	diagnoseAndCheck(t, fx.NewReport([]v1alpha1.Target{fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)}, odd),
		want{id: IDCheckFailedUnexplained, hop: "pod default/client", checkIDs: []string{"tcp-1"},
			summary: []string{"pod/api-0: tcp check failed: 0/3 connected, 3 error"}})
}
