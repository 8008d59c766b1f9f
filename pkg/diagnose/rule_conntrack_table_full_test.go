package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// conntrackPair is node's before/after snapshots with the table at count of
// max, and the after snapshot's counters risen by rise.
func conntrackPair(node string, count, max int, rise v1alpha1.ConntrackRise) []v1alpha1.CheckResult {
	pair := fixture.NodeInfoPair(node, nil)
	before, after := pair[0].NodeInfo.Conntrack, pair[1].NodeInfo.Conntrack
	*before = v1alpha1.ConntrackStats{Count: count, Max: max, Drop: 7, EarlyDrop: 1, InsertFailed: 2}
	*after = *before
	after.Drop += rise.Drop
	after.EarlyDrop += rise.EarlyDrop
	after.InsertFailed += rise.InsertFailed
	return pair
}

func TestConntrackTableFull(t *testing.T) {
	t.Run("node 2's table full, its drop counter rose, the trace dies on its flannel.1", func(t *testing.T) {
		r := webAcrossNodes(append(append(fixture.NodeInfoPair(fixture.Node1, nil),
			conntrackPair(fixture.Node2, 4096, 4096, v1alpha1.ConntrackRise{Drop: 12})...),
			diedAt(6), fixture.ICMPEcho("icmp-1", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5", 3, 0))...)
		diagnoseAndCheck(t, r, want{
			id:  IDConntrackTableFull,
			hop: "node k8slab-node2 (netfilter conntrack, 4096/4096 entries)",
			summary: []string{"svc/web:http: node k8slab-node2's conntrack table is full (4096 of 4096 entries) and refused " +
				"new connections during the run (drop +12, early_drop +0, insert_failed +0)"},
			evidence: []string{
				"node k8slab-node2 (nodeinfo after the probes): net.netfilter.nf_conntrack_count=4096, net.netfilter.nf_conntrack_max=4096",
				"node k8slab-node2 during the run (/proc/net/stat/nf_conntrack): drop +12, early_drop +0, insert_failed +0",
				"not on k8slab-node2/cni0, k8slab-node2/veth8c0d4e21, k8slab-node2/pod web-1 (3 of 3 unanswered probes)",
				"10.244.1.5:8080: 10 of 10 timed out (100%)",
				"via the Service IP 10.96.0.20:80: 9 of 20 timed out (45%)",
				"ICMP echo to 10.244.1.5: 0/3 replies",
			},
			checkIDs: []string{"nodeinfo-before-node2", "nodeinfo-after-node2", "trace:10.244.1.5:8080", "tcp-2", "tcp-1", "icmp-1"},
			fix:      "nf_conntrack_max",
		})
	})

	t.Run("far from full, but early_drop and drop rose during the run", func(t *testing.T) {
		r := webAcrossNodes(conntrackPair(fixture.Node2, 1200, 262144, v1alpha1.ConntrackRise{Drop: 3, EarlyDrop: 40})...)
		diagnoseAndCheck(t, r, want{
			id:      IDConntrackTableFull,
			hop:     "node k8slab-node2 (netfilter conntrack, 1200/262144 entries)",
			summary: []string{"node k8slab-node2's conntrack table holds 1200 of 262144 entries and refused new connections during the run (drop +3, early_drop +40"},
		})
	})

	t.Run("within 1% of the max is full; the source's node carries every connect", func(t *testing.T) {
		r := webAcrossNodes(conntrackPair(fixture.Node1, 262144-2621, 262144, v1alpha1.ConntrackRise{})...)
		diagnoseAndCheck(t, r, want{
			id:      IDConntrackTableFull,
			summary: []string{"node k8slab-node1's conntrack table is full (259523 of 262144 entries): new connections through the node are dropped"},
			evidence: []string{"since the node's network namespace began: drop 7, early_drop 1, insert_failed 2",
				"10.244.1.5:8080: 10 of 10 timed out (100%)"},
		})
	})

	t.Run("insert_failed rose with timeouts through the node: the SNAT race", func(t *testing.T) {
		r := webAcrossNodes(conntrackPair(fixture.Node2, 300, 262144, v1alpha1.ConntrackRise{InsertFailed: 5})...)
		diagnoseAndCheck(t, r, want{
			id:      IDConntrackTableFull,
			summary: []string{"holds 300 of 262144 entries and refused new connections during the run (drop +0, early_drop +0, insert_failed +5)"},
		})
	})

	t.Run("insert_failed rose, but forwarding off explains the timeouts: that finding alone", func(t *testing.T) {
		pair := conntrackPair(fixture.Node2, 300, 262144, v1alpha1.ConntrackRise{InsertFailed: 3})
		pair[1].NodeInfo.Sysctls["net.ipv4.ip_forward"] = "0"
		diagnoseAndCheck(t, webAcrossNodes(pair...), want{id: IDIPForwardDisabled})
	})

	healthy := func(extra ...v1alpha1.CheckResult) *v1alpha1.Report {
		return fixture.NodeReport([]v1alpha1.Target{fixture.WebService(fixture.Web1, fixture.Web2)},
			append([]v1alpha1.CheckResult{
				fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
				fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", fixture.Web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			}, extra...)...)
	}

	t.Run("a full table no failing connect went through: warning", func(t *testing.T) {
		r := healthy(conntrackPair(fixture.Node2, 65536, 65536, v1alpha1.ConntrackRise{})...)
		diagnoseAndCheck(t, r, want{id: IDConntrackTableFull, severity: v1alpha1.SeverityWarning,
			evidence: []string{"no connect of this run failed through the node"}})
	})

	t.Run("insert_failed alone on a healthy run, or a table just under 99%: nothing", func(t *testing.T) {
		diagnoseAndCheck(t, healthy(conntrackPair(fixture.Node2, 300, 262144, v1alpha1.ConntrackRise{InsertFailed: 2})...))
		diagnoseAndCheck(t, healthy(conntrackPair(fixture.Node2, 262144-2622, 262144, v1alpha1.ConntrackRise{})...))
	})

	t.Run("counters that went down (another namespace, a module reload) are no rise", func(t *testing.T) {
		pair := conntrackPair(fixture.Node2, 300, 262144, v1alpha1.ConntrackRise{})
		pair[1].NodeInfo.Conntrack.Drop = 0
		diagnoseAndCheck(t, healthy(pair...))
	})
}
