package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// imageMissing is the engine's translated reason for a node pod whose image
// node 2 does not have (launch.AgentError).
const imageMissing = "image localhost/netcheck/netcheck-probe:extra is not present on node k8slab-node2 (ErrImageNeverPull); " +
	"load it onto the node or use --image (or --registry for a mirror)"

// partialView is pod/web-1 on node 2 checked in node mode with node 2's node
// pod missing: node 1's snapshots are there, node 2's are not, and every
// result the engine could not get for want of node 2 names its reason.
func partialView(view v1alpha1.NodeViewState, results ...v1alpha1.CheckResult) *v1alpha1.Report {
	r := fixture.NodeReport([]v1alpha1.Target{fixture.PodTarget("web-1", "10.244.1.5", 8080, fixture.Node2)},
		append(fixture.NodeInfoPair(fixture.Node1, nil), results...)...)
	r.Mode = "node"
	r.Nodes[0].View = &v1alpha1.NodeViewState{Status: v1alpha1.NodeWatched}
	r.Nodes[1].View = &view
	return r
}

func unwatchedNode2(cause, reason string) v1alpha1.NodeViewState {
	return v1alpha1.NodeViewState{Status: v1alpha1.NodeUnwatched, Cause: cause, Reason: reason,
		Image: "localhost/netcheck/netcheck-probe:extra", Pod: "default/netcheck-k8slab-node2-abcde"}
}

// farMissing is a trace whose sender ran on node 1 and whose far half could
// not: status as mergeTrace leaves it, summary and error naming node 2.
func farMissing(status v1alpha1.Status, reason string, reply *fixture.TraceReply, last int) v1alpha1.CheckResult {
	hops := fixture.CrossNodeHops("web-1")[:5] // node 1's hops only: node 2 captured nothing
	res := fixture.Trace("trace:10.244.1.5:8080", "pod/web-1:8080", "10.244.1.5", 8080, hops,
		fixture.TraceProbes(hops, 3, "10.244.1.5:8080", last, reply, 0, ""))
	note := "far side not captured (node k8slab-node2 could not be watched: " + reason + ")"
	res.Status, res.Summary = status, res.Summary+"; "+note
	if status == v1alpha1.StatusError {
		res.Error = "cannot tell where the probes died: " + note
	}
	return res
}

func TestNodeViewUnavailable(t *testing.T) {
	t.Run("image missing on node 2, path fine: inconclusive, fix names the image", func(t *testing.T) {
		syn := &fixture.TraceReply{Kind: "syn-ack", What: "SYN-ACK", FirstHop: fixture.Node1 + "/eth0", TTL: 62}
		r := partialView(unwatchedNode2(v1alpha1.CauseImage, imageMissing),
			fixture.TCP("tcp-1", "pod/web-1:8080", "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			farMissing(v1alpha1.StatusPass, imageMissing, syn, 4))
		diagnoseAndCheck(t, r, want{
			id:      IDNodeViewUnavailable,
			hop:     "node k8slab-node2",
			summary: []string{"node k8slab-node2 could not be watched: " + imageMissing},
			evidence: []string{
				"node pod default/netcheck-k8slab-node2-abcde (image localhost/netcheck/netcheck-probe:extra) did not start",
				"not read on node k8slab-node2: its nodeinfo snapshots and namespace scan",
				"trace:10.244.1.5:8080 (node k8slab-node1): pass, captured without node k8slab-node2",
			},
			checkIDs: []string{"trace:10.244.1.5:8080"},
			fix:      "Make localhost/netcheck/netcheck-probe:extra available on node k8slab-node2: pre-pull it there",
		})
		r.Findings = Diagnose(r)
		if v := Decide(r); v.ExitCode != v1alpha1.ExitInconclusive {
			t.Errorf("verdict %+v, want exit %d", v, v1alpha1.ExitInconclusive)
		}
	})

	t.Run("probes die and node 2 is unwatched: the fault stands, the trace is its gap", func(t *testing.T) {
		reason := "node k8slab-node2 is NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node status), " +
			"so its kubelet did not run the node pod"
		followup := fixture.Errored("netinfo:default/web-1", v1alpha1.CheckNetInfo, "pod/web-1",
			"node k8slab-node2 could not be watched: "+reason)
		followup.Vantage = "node " + fixture.Node2
		r := partialView(unwatchedNode2(v1alpha1.CauseNodeNotReady, reason),
			fixture.TCP("tcp-1", "pod/web-1:8080", "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPTimeout: 10}),
			farMissing(v1alpha1.StatusError, reason, nil, 4), followup)
		got := diagnoseAndCheck(t, r,
			want{id: IDTCPTimeout, checkIDs: []string{"tcp-1"}},
			want{
				id:  IDNodeViewUnavailable,
				hop: "node k8slab-node2",
				evidence: []string{
					"trace:10.244.1.5:8080 (node k8slab-node1): could not tell where the probes died without node k8slab-node2",
					"netinfo:default/web-1 (node k8slab-node2): could not run without node k8slab-node2",
				},
				// No check-error for either: both are this finding's evidence.
				checkIDs: []string{"trace:10.244.1.5:8080", "netinfo:default/web-1"},
				fix:      "Node k8slab-node2 is NotReady",
			})
		for _, f := range got {
			if f.Hop == "node k8slab-node1 after eth0" || f.ID == IDTraceDroppedAtHop {
				t.Errorf("a hop was named where node 2's view ends: %+v", f)
			}
		}
		r.Findings = got
		if v := Decide(r); v.ExitCode != v1alpha1.ExitFault {
			t.Errorf("verdict %+v, want exit %d", v, v1alpha1.ExitFault)
		}
	})

	t.Run("another error on the watched node stays a check error", func(t *testing.T) {
		r := partialView(unwatchedNode2(v1alpha1.CauseOther, "the kubelet rejected it: OutOfpods"),
			fixture.TCP("tcp-1", "pod/web-1:8080", "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}),
			fixture.Errored("icmp-1", v1alpha1.CheckICMP, "pod/web-1:8080", "socket: operation not permitted"))
		diagnoseAndCheck(t, r,
			want{id: IDNodeViewUnavailable, checkIDs: []string{},
				fix: "Read the reason in the summary"},
			want{id: IDCheckError, checkIDs: []string{"icmp-1"}})
	})

	t.Run("every node watched: nothing to say", func(t *testing.T) {
		r := partialView(v1alpha1.NodeViewState{Status: v1alpha1.NodeWatched},
			fixture.TCP("tcp-1", "pod/web-1:8080", "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 10}))
		diagnoseAndCheck(t, r)
	})
}
