package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// The lab's CoreDNS (like an air-gapped cluster's) has no upstream: every
// replica SERVFAILs the last search expansion ("web."). That shared failure
// must not hide the replica that fails the cluster names the other answers.
func TestDNSReplicaFailingDespiteSharedUpstreamFailures(t *testing.T) {
	bare := "web."
	var queries []v1alpha1.DNSQuery
	for _, tr := range []string{"udp", "tcp"} {
		queries = append(queries,
			kubeDNS(tr, svcName, "NOERROR"), replica(1, tr, svcName, "NOERROR"), replica(2, tr, svcName, ""),
			kubeDNS(tr, bare, "SERVFAIL"), replica(1, tr, bare, "SERVFAIL"), replica(2, tr, bare, ""))
	}
	res := fx.DNS("dns-1", svcName, svcName, []string{svcName, bare}, queries...)
	diagnoseAndCheck(t, fx.NewReport([]v1alpha1.Target{fx.DNSTarget(svcName)}, res), want{
		id: IDDNSReplicaFailing, hop: "DNS replica " + core2 + " at " + coreDNS2,
		summary:  []string{"fails 2 of 4 queries while 10.244.0.3 answers"},
		evidence: []string{"replica " + core1 + " at " + coreDNS1 + ": 2 of 4 failed (2 SERVFAIL)"},
		checkIDs: []string{"dns-1"},
	})
}
