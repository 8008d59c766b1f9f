package diagnose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleAllEndpointsDead reports a Service none of whose probed backends accepts a
// connection. Refused and timed out are different causes: every pod answering
// RST means the service is down (or on another port); every SYN vanishing means
// a policy or firewall drops it. Endpoints that a more specific rule already
// explained (say, loopback-only) are listed but not re-diagnosed; when all of
// them are explained there is nothing left to say here.
func ruleAllEndpointsDead(d *diagnosis) {
	for _, tv := range d.ix.targets {
		probed := tv.probedEndpoints()
		if !tv.isService() || len(probed) == 0 {
			continue
		}
		refused, unclaimed := 0, 0
		allDead := true
		for _, e := range probed {
			allDead = allDead && e.stats.allFailed()
			if e.stats.dominantFailure() == v1alpha1.TCPRefused {
				refused++
			}
			if !d.isClaimed(e.stats.addr) {
				unclaimed++
			}
		}
		if !allDead || unclaimed == 0 {
			continue
		}
		id, how := IDServiceEndpointsAllTimeout, "time out (SYNs dropped)"
		if 2*refused >= len(probed) {
			id, how = IDServiceEndpointsAllRefused, "refuse connections"
		}
		f := newFinding(id)
		f.Target = targetLabel(tv.t)
		f.Summary = fmt.Sprintf("%s: all %s %s", f.Target, plural(len(probed), "probed endpoint", "probed endpoints"), how)
		f.Hop = fmt.Sprintf("every endpoint of Service %s (%s)", qualify(tv.t.Namespace, tv.t.Name), nodesOf(probed))
		for _, e := range probed {
			line := shortAddrHop(e.stats) + ": " + failureRate(e.stats)
			if i, ok := d.claimed[e.stats.addr]; ok {
				line += " (explained by " + d.findings[i].ID + ")"
			}
			f.Evidence = append(f.Evidence, line)
			f.CheckIDs = appendUnique(f.CheckIDs, e.stats.checkIDs()...)
		}
		if note := rejectNote(d.ix, probed[0].stats); note != "" {
			f.Evidence = append(f.Evidence, note)
		}
		for _, s := range tv.front {
			f.Evidence = append(f.Evidence, "via the Service IP "+connectLine(s))
			f.CheckIDs = appendUnique(f.CheckIDs, s.checkIDs()...)
		}
		i := d.add(f)
		for _, e := range probed {
			d.claim(e.stats.addr, i)
		}
		for _, s := range tv.front {
			d.claim(s.addr, i)
		}
	}
}

// nodesOf renders the distinct nodes of endpoints: "nodes k8slab-node1, k8slab-node2".
func nodesOf(eps []endpointView) string {
	seen := map[string]bool{}
	var nodes []string
	for _, e := range eps {
		if e.ep.Node != "" && !seen[e.ep.Node] {
			seen[e.ep.Node] = true
			nodes = append(nodes, e.ep.Node)
		}
	}
	sort.Strings(nodes)
	switch len(nodes) {
	case 0:
		return "nodes unknown"
	case 1:
		return "node " + nodes[0]
	}
	return "nodes " + strings.Join(nodes, ", ")
}
