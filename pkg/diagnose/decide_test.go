package diagnose

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestDecide(t *testing.T) {
	withFindings := func(r *v1alpha1.Report) *v1alpha1.Report {
		r.Findings = Diagnose(r)
		return r
	}
	erroredReport := func() *v1alpha1.Report {
		r := fx.Healthy()
		r.Results = append(r.Results, fx.Errored("icmp-9", v1alpha1.CheckICMP, "svc/web", "operation not permitted"))
		return r
	}
	warnOnly := fx.NewReport([]v1alpha1.Target{fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)},
		fx.TCP("tcp-1", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPOK: 20}),
		fx.Sweep("icmp-1", "pod/api-0", "10.244.1.9", v1alpha1.MTUResult{Outcome: v1alpha1.MTUFragNeeded, Interface: "eth0",
			InterfaceMTU: 1450, LargestOK: 1400, PathMTU: 1400, ReportedMTU: 1400, ReportedBy: "10.244.0.1"}))
	infoOnly := fx.NewReport([]v1alpha1.Target{fx.WebService(fx.Web1)},
		clusterIPTCP("tcp-1", fx.Outcomes{v1alpha1.TCPOK: 20}), fx.ICMPEcho("icmp-1", "svc/web", fx.WebClusterIP, 3, 0))
	errorsAndFault := fx.OneEndpointRefused()
	errorsAndFault.Results = append(errorsAndFault.Results, fx.Errored("icmp-9", v1alpha1.CheckICMP, "svc/web", "operation not permitted"))
	for _, tc := range []struct {
		name    string
		report  *v1alpha1.Report
		status  v1alpha1.VerdictStatus
		exit    int
		summary []string
	}{
		{"healthy", withFindings(fx.Healthy()), v1alpha1.VerdictOK, v1alpha1.ExitOK, []string{"OK: 5 checks passed"}},
		{"a fault names the root cause and hop", withFindings(fx.OneEndpointRefused()), v1alpha1.VerdictFault, v1alpha1.ExitFault,
			[]string{"FAULT [endpoint-refused] svc/web:http: every connect to endpoint 10.244.1.5:8080 refused",
				"-- at endpoint 10.244.1.5:8080 (pod default/web-1 on node k8slab-node2)"}},
		{"a fault wins over errored checks", withFindings(errorsAndFault), v1alpha1.VerdictFault, v1alpha1.ExitFault,
			[]string{"FAULT [endpoint-refused]", "(+1 more finding)"}},
		{"an errored check without faults is inconclusive", withFindings(erroredReport()), v1alpha1.VerdictInconclusive,
			v1alpha1.ExitInconclusive, []string{"INCONCLUSIVE [check-error]"}},
		{"errored results even without findings are inconclusive", erroredReport(), v1alpha1.VerdictInconclusive,
			v1alpha1.ExitInconclusive, []string{"1 of 6 checks could not run"}},
		{"no results is inconclusive", withFindings(fx.NewReport(nil)), v1alpha1.VerdictInconclusive, v1alpha1.ExitInconclusive,
			[]string{"INCONCLUSIVE [check-missing] no check results"}},
		{"warnings alone pass, and are mentioned", withFindings(warnOnly), v1alpha1.VerdictOK, v1alpha1.ExitOK,
			[]string{"OK: 2 checks passed, 1 warning (first:", "[pmtu-reduced]"}},
		{"info alone passes quietly", withFindings(infoOnly), v1alpha1.VerdictOK, v1alpha1.ExitOK, []string{"OK: 2 checks passed"}},
		{"nil report", nil, v1alpha1.VerdictInconclusive, v1alpha1.ExitInconclusive, []string{"no report"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Decide(tc.report)
			if v.Status != tc.status || v.ExitCode != tc.exit {
				t.Errorf("verdict %s/%d, want %s/%d (%s)", v.Status, v.ExitCode, tc.status, tc.exit, v.Summary)
			}
			for _, s := range tc.summary {
				if !strings.Contains(v.Summary, s) {
					t.Errorf("summary %q lacks %q", v.Summary, s)
				}
			}
			if strings.Contains(v.Summary, "\n") {
				t.Errorf("summary is not one line: %q", v.Summary)
			}
		})
	}
}

func TestDiagnoseNilAndBusy(t *testing.T) {
	if got := Diagnose(nil); got != nil {
		t.Errorf("Diagnose(nil) = %v", got)
	}
	// Busy combines faults; each must come out once, most severe first.
	diagnoseAndCheck(t, fx.Busy(),
		want{id: IDListeningOnLoopbackOnly, checkIDs: []string{"tcp-6", "netinfo-1"}},
		want{id: IDEndpointRefused, checkIDs: []string{"tcp-1", "tcp-2", "tcp-9"},
			evidence: []string{"this explains the Service IP 10.96.0.20:80: 10 of 40 refused (25%)"}},
		want{id: IDMTUBlackHole, checkIDs: []string{"icmp-3"}},
		want{id: IDDNSReplicaFailing, checkIDs: []string{"dns-1"}},
		want{id: IDCheckError, checkIDs: []string{"icmp-5"}},
		want{id: IDICMPBlockedTCPOK, checkIDs: []string{"icmp-1", "tcp-1", "tcp-9"}},
	)
}
