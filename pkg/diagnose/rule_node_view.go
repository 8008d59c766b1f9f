package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleNodeViewUnavailable names each node whose node pod did not start, with
// the plugin's reason and the fix for its cause. The checks that could not
// run for want of that node (the engine words their errors with the same
// reason: "node X could not be watched: REASON") become its evidence instead
// of check-error findings of their own, and so do the traces that were
// captured without that node's half.
func ruleNodeViewUnavailable(d *diagnosis) {
	for _, n := range d.ix.r.Nodes {
		v := n.View
		if v == nil || v.Status != v1alpha1.NodeUnwatched {
			continue
		}
		reason := firstNonEmpty(v.Reason, "its node pod did not start")
		f := newFinding(IDNodeViewUnavailable)
		f.Hop = "node " + n.Name
		f.Summary = fmt.Sprintf("node %s could not be watched: %s", n.Name, reason)
		if fix := nodeViewFix(n.Name, v); fix != "" {
			f.Fix = fix
		}
		pod := firstNonEmpty(v.Pod, "its node pod")
		f.Evidence = []string{fmt.Sprintf("node pod %s (image %s) did not start (cause: %s)", pod, firstNonEmpty(v.Image, "?"),
			firstNonEmpty(v.Cause, v1alpha1.CauseOther)),
			fmt.Sprintf("not read on node %s: its nodeinfo snapshots and namespace scan", n.Name)}
		listed := 0
		for i := range d.ix.r.Results {
			res := &d.ix.r.Results[i]
			if v.Reason == "" || !strings.Contains(res.Error+"\x00"+res.Summary, v.Reason) {
				continue
			}
			f.CheckIDs = append(f.CheckIDs, res.ID)
			if res.Status == v1alpha1.StatusError {
				d.absorbed[res.ID] = true
			}
			if listed < maxListed {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s (%s): %s without node %s", res.ID,
					firstNonEmpty(res.Vantage, "?"), withoutNodeOutcome(res), n.Name))
			}
			listed++
		}
		if listed > maxListed {
			f.Evidence = append(f.Evidence, fmt.Sprintf("... and %d more", listed-maxListed))
		}
		d.add(f)
	}
}

// withoutNodeOutcome says what became of a result that needed the unwatched node.
func withoutNodeOutcome(res *v1alpha1.CheckResult) string {
	switch {
	case res.Status == v1alpha1.StatusError && res.Check == v1alpha1.CheckTrace:
		return "could not tell where the probes died"
	case res.Status == v1alpha1.StatusError:
		return "could not run"
	case res.Check == v1alpha1.CheckTrace:
		return fmt.Sprintf("%s, captured", res.Status)
	}
	return string(res.Status)
}

// nodeViewFix is the fix for the cause of an unwatched node; "" keeps the
// catalogue's, which points at the reason (a Pod Security rejection, say,
// is worded with its exemption by the plugin already).
func nodeViewFix(node string, v *v1alpha1.NodeViewState) string {
	switch v.Cause {
	case v1alpha1.CauseImage:
		img := firstNonEmpty(v.Image, "the probe image")
		return fmt.Sprintf("Make %s available on node %s: pre-pull it there (a DaemonSet that uses it, or `crictl pull %s` "+
			"on the node), or with --image-pull-policy Never load it into that node's container runtime; or point "+
			"--image (or --registry, for a mirror) at an image every node can pull. Then rerun for node %s's view.",
			img, node, img, node)
	case v1alpha1.CauseNodeNotReady:
		return fmt.Sprintf("Node %s is NotReady, so its kubelet does not run pods: that is a lead in itself. Look at "+
			"`kubectl describe node %s` (the Ready condition and its last heartbeat) and at the kubelet, the container "+
			"runtime and the node's network; the other nodes' evidence stands.", node, node)
	}
	return ""
}
