package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestRuleMTU(t *testing.T) {
	api := []v1alpha1.Target{fx.PodTarget("api-0", "10.244.1.9", 9000, fx.Node2)}
	sweep := func(id string, m v1alpha1.MTUResult) v1alpha1.CheckResult {
		return fx.Sweep(id, "pod/api-0", "10.244.1.9", m)
	}
	sizes := []int{576, 1038, 1269, 1384, 1400, 1401, 1442, 1450, 1451, 1500}
	blackHole := v1alpha1.MTUResult{Outcome: v1alpha1.MTUBlackHole, Interface: "eth0", InterfaceMTU: 1500,
		LargestOK: 1450, SmallestLost: 1451, PathMTU: 1450, Probes: fx.Probes(1450, "timeout", sizes...)}
	fragNeeded := v1alpha1.MTUResult{Outcome: v1alpha1.MTUFragNeeded, Interface: "eth0", InterfaceMTU: 1450,
		LargestOK: 1400, SmallestLost: 1401, PathMTU: 1400, ReportedMTU: 1400, ReportedBy: "10.244.0.1",
		Probes: fx.Probes(1400, "frag-needed", 576, 1038, 1269, 1384, 1400, 1401, 1442, 1450)}
	fragThenLost := fragNeeded
	fragThenLost.Probes = append(fx.Probes(1269, "timeout", 576, 1038, 1269, 1384, 1400), v1alpha1.SizeProbe{Size: 1450, Outcome: "frag-needed", ReportedMTU: 1400})
	bhWithReport := blackHole
	bhWithReport.ReportedMTU, bhWithReport.ReportedBy = 1450, "172.18.0.3"
	for _, tc := range []struct {
		name    string
		results []v1alpha1.CheckResult
		want    []want
	}{{
		name:    "black hole: 1450 passes, 1451 vanishes silently",
		results: []v1alpha1.CheckResult{sweep("icmp-1", blackHole)},
		want: []want{{
			id:      IDMTUBlackHole,
			hop:     "path from pod default/client on node k8slab-node1 to 10.244.1.9 (pod default/api-0 on node k8slab-node2)",
			summary: []string{"MTU black hole to 10.244.1.9: DF packets up to 1450 B get through, 1451 B and larger vanish"},
			evidence: []string{"largest DF packet answered: 1450 B; smallest lost: 1451 B; no ICMP fragmentation-needed came back",
				"egress interface eth0 MTU 1500, path MTU 1450 (50 B less)",
				"DF sizes answered: 576, 1038, 1269, 1384, 1400, 1401, 1442, 1450 B", "DF sizes lost or refused: 1451, 1500 B"},
			fix: "Set the CNI/pod MTU to 1450 or less", checkIDs: []string{"icmp-1"},
		}},
	}, {
		name:    "a hop reports frag-needed: PMTUD works, a warning",
		results: []v1alpha1.CheckResult{sweep("icmp-1", fragNeeded)},
		want: []want{{
			id: IDPMTUReduced, hop: "hop 10.244.0.1 (next-hop MTU 1400)",
			summary: []string{"hop 10.244.0.1 reports path MTU 1400 to 10.244.1.9, below eth0 MTU 1450"},
			evidence: []string{"ICMP fragmentation-needed from 10.244.0.1: next-hop MTU 1400",
				"eth0 MTU 1450: packets of 1401..1450 B rely on PMTU discovery"},
			fix: "Lower the pod/CNI MTU to 1400",
		}},
	}, {
		name:    "frag-needed, and packets that fit the reported MTU still vanish: fault",
		results: []v1alpha1.CheckResult{sweep("icmp-1", fragThenLost)},
		want: []want{{id: IDPMTUReduced, severity: v1alpha1.SeverityFault,
			summary:  []string{"and packets that fit it still vanish"},
			evidence: []string{"DF packets at or below the reported MTU lost too: 1384, 1400 B"}}},
	}, {
		name:    "frag-needed on one sweep, black hole on another to the same IP: both, pmtu a fault",
		results: []v1alpha1.CheckResult{sweep("icmp-1", fragNeeded), sweep("icmp-2", blackHole)},
		want: []want{{id: IDPMTUReduced, severity: v1alpha1.SeverityFault, checkIDs: []string{"icmp-1"},
			evidence: []string{"another sweep to 10.244.1.9 found a black hole"}},
			{id: IDMTUBlackHole, checkIDs: []string{"icmp-2"}}},
	}, {
		name:    "black hole although a hop reported an MTU: named in the hop",
		results: []v1alpha1.CheckResult{sweep("icmp-1", bhWithReport)},
		want: []want{{id: IDMTUBlackHole,
			hop:      "hop 172.18.0.3 (reported next-hop MTU 1450) on the path from pod default/client on node k8slab-node1 to 10.244.1.9 (pod default/api-0 on node k8slab-node2)",
			evidence: []string{"172.18.0.3 reported next-hop MTU 1450, yet DF packets that fit it vanish too"}}},
	}, {
		name: "the kernel already caches a smaller path MTU",
		results: []v1alpha1.CheckResult{sweep("icmp-1", v1alpha1.MTUResult{Outcome: v1alpha1.MTULocal, Interface: "eth0",
			InterfaceMTU: 1450, LargestOK: 1400, PathMTU: 1400,
			Probes: []v1alpha1.SizeProbe{{Size: 1400, Outcome: "ok"}, {Size: 1450, Outcome: "emsgsize"}}})},
		want: []want{{id: IDPMTUReduced, summary: []string{"the kernel caches path MTU 1400 to 10.244.1.9, below eth0 MTU 1450"},
			evidence: []string{"local EMSGSIZE above 1400 B"}}},
	}, {
		name: "full-size packets fit",
		results: []v1alpha1.CheckResult{sweep("icmp-1", v1alpha1.MTUResult{Outcome: v1alpha1.MTUFits, Interface: "eth0",
			InterfaceMTU: 1450, LargestOK: 1450, PathMTU: 1450, Probes: fx.Probes(1450, "timeout", 576, 1450)})},
	}, {
		name: "a reported MTU equal to the interface MTU is no reduction",
		results: []v1alpha1.CheckResult{func() v1alpha1.CheckResult {
			r := sweep("icmp-1", v1alpha1.MTUResult{Outcome: v1alpha1.MTUFits, Interface: "eth0", InterfaceMTU: 1450,
				LargestOK: 1450, PathMTU: 1450, ReportedMTU: 1450, ReportedBy: "10.244.0.1"})
			r.Status = v1alpha1.StatusPass
			return r
		}()},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(api, tc.results...), tc.want...) })
	}
}
