package diagnose

import (
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleConntrackTableFull reports a node whose connection tracking cannot take
// new connections: its table is at (or within 1% of) nf_conntrack_max, or
// its drop/early_drop counters rose between the before and after snapshots.
// A rise of insert_failed alone (the SNAT port race, and the odd DNS race)
// counts only when the run saw connects time out through the node that no
// more precise rule explained.
//
// The node's netfilter drops the first packet of a connection it cannot
// track, wherever the connection goes: the finding explains the timed-out
// connects the node carried (from its pods, to its pods) and claims the traces
// whose probes died on it, so trace-dropped-at-hop does not blame the hop the
// packets happened to be seen at last. It is a fault when the run's traffic
// met the node, a warning otherwise.
func ruleConntrackTableFull(d *diagnosis) {
	for _, n := range d.nodes.withInfo() {
		ct := n.info().Conntrack
		if ct == nil {
			continue
		}
		full := conntrackNearFull(ct)
		rise, riseKnown := conntrackRise(n)
		carried := d.timeoutsThrough(n.name)
		dropping := riseKnown && (rise.Drop+rise.EarlyDrop > 0 || (rise.InsertFailed > 0 && anyUnclaimed(d, carried)))
		if !full && !dropping {
			continue
		}
		dying := d.tracesDyingOn(n.name)
		f := newFinding(IDConntrackTableFull)
		f.Target = targetOf(carried, nodeLabel(n))
		f.Hop = fmt.Sprintf("node %s (netfilter conntrack, %d/%d entries)", n.name, ct.Count, ct.Max)
		f.CheckIDs = n.infoIDs()
		f.Summary = fmt.Sprintf("%s: node %s's conntrack table %s", f.Target, n.name, conntrackState(ct, full, rise, riseKnown))
		f.Evidence = []string{fmt.Sprintf("node %s%s: net.netfilter.nf_conntrack_count=%d, net.netfilter.nf_conntrack_max=%d",
			n.name, phaseNote(n), ct.Count, ct.Max)}
		if riseKnown {
			f.Evidence = append(f.Evidence, fmt.Sprintf("node %s during the run (/proc/net/stat/nf_conntrack): %s",
				n.name, riseText(rise)))
		}
		if !dropping {
			f.Evidence = append(f.Evidence, fmt.Sprintf("since the node's network namespace began: drop %d, early_drop %d, insert_failed %d",
				ct.Drop, ct.EarlyDrop, ct.InsertFailed))
		}
		if len(carried) == 0 && len(dying) == 0 && !dropping {
			f.Severity = v1alpha1.SeverityWarning
			f.Evidence = append(f.Evidence, "no connect of this run failed through the node; any new connection "+
				"through it may be dropped")
		}
		i := d.add(f)
		for _, tv := range dying {
			hop, k, of := tv.death()
			d.amend(i, []string{tv.sightingsLine(hop, k, of)}, nil)
			d.claimTrace(i, tv)
		}
		d.explain(i, carried)
	}
}

// conntrackNearFull: the count is at the max or within 1% of it (at least one
// entry), which leaves no room for a burst of new connections.
func conntrackNearFull(ct *v1alpha1.ConntrackStats) bool {
	if ct.Max <= 0 {
		return false
	}
	return ct.Count >= ct.Max-max(ct.Max/100, 1)
}

// conntrackRise is what the node's failure counters rose by between its
// before and after snapshots; false without both.
func conntrackRise(n *nodeView) (v1alpha1.ConntrackRise, bool) {
	if n.before == nil || n.after == nil || n.before.NodeInfo.Conntrack == nil || n.after.NodeInfo.Conntrack == nil {
		return v1alpha1.ConntrackRise{}, false
	}
	return n.after.NodeInfo.Conntrack.RiseSince(*n.before.NodeInfo.Conntrack), true
}

// conntrackState completes "node X's conntrack table ...".
func conntrackState(ct *v1alpha1.ConntrackStats, full bool, rise v1alpha1.ConntrackRise, riseKnown bool) string {
	s := fmt.Sprintf("holds %d of %d entries", ct.Count, ct.Max)
	if full {
		s = fmt.Sprintf("is full (%d of %d entries)", ct.Count, ct.Max)
	}
	if riseKnown && rise.Dropping() {
		return s + fmt.Sprintf(" and refused new connections during the run (%s)", riseText(rise))
	}
	return s + ": new connections through the node are dropped"
}

// riseText renders a counter rise, e.g. "drop +12, early_drop +0, insert_failed +0".
func riseText(r v1alpha1.ConntrackRise) string {
	return fmt.Sprintf("drop +%d, early_drop +%d, insert_failed +%d", r.Drop, r.EarlyDrop, r.InsertFailed)
}

// timeoutsThrough are the probed addresses with timed-out connects whose
// packets node's netfilter handled: the source runs on node, or the pod
// behind the address does.
func (d *diagnosis) timeoutsThrough(node string) []*addrStats {
	var out []*addrStats
	for _, s := range d.ix.addrs {
		if s.counts[v1alpha1.TCPTimeout] == 0 {
			continue
		}
		if d.ix.r.Source.Node == node || d.podNodeOf(s) == node {
			out = append(out, s)
		}
	}
	return out
}

func anyUnclaimed(d *diagnosis, addrs []*addrStats) bool {
	for _, s := range addrs {
		if !d.isClaimed(s.addr) {
			return true
		}
	}
	return false
}
