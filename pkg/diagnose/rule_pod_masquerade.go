package diagnose

import (
	"fmt"
	"net/netip"
	"strings"
)

// rulePodMasquerade reports pod-to-pod traffic that leaves a node with the
// node's address as its source. Two kinds of evidence, either enough:
//   - the trace saw the request's source change from the pod IP to an
//     address a node holds on its way to the destination pod;
//   - following the flow through the node's nat POSTROUTING chains (jumps,
//     returns, flannel's RETURN exclusions), it surely reaches a MASQUERADE or
//     SNAT rule, and that rule's counter moved during the run.
//
// The finding names the rule with its text and counter, and the source the
// destination saw.
func rulePodMasquerade(d *diagnosis) {
	for _, n := range d.nodes.withInfo() {
		var hits []reached
		var snatted []traceView
		var pods []*addrStats
		for _, s := range d.ix.addrs {
			if s.target != nil && s.endpoint == nil && s.target.isService() {
				continue // the endpoints' own flows stand for the Service's
			}
			if !d.nodes.isPodIP(addrOf(s.ip())) {
				continue
			}
			var found bool
			for _, fl := range d.flowsFor(s) {
				for _, h := range n.walkHook("postrouting", "nat", fl) {
					if verb, _ := verdictOf(h.rule); verb != "masquerade" && verb != "snat" {
						continue
					}
					found = true
					hits = appendHit(hits, h)
				}
			}
			if found {
				pods = append(pods, s)
			}
		}
		for _, tv := range d.nodes.traceViews() {
			if _, at, seen, ok := tv.snatHop(); ok && tv.hopNode(at) != "" &&
				d.nodes.nodeHolding(seen) != nil && snatBy(tv, at, n.name) && d.nodes.isPodIP(addrOf(tv.tr.Destination)) {
				snatted = append(snatted, tv)
			}
		}
		var sure []reached
		for _, h := range hits {
			if h.certain && h.deltaKnown && h.delta > 0 {
				sure = append(sure, h)
			}
		}
		if len(snatted) == 0 && len(sure) == 0 {
			continue
		}
		d.masqueradeFinding(n, sure, hits, snatted, pods)
	}
}

// snatBy: the source changed on node's hops, or on the hop just after them
// (the far node saw it rewritten).
func snatBy(tv traceView, at int, node string) bool {
	if tv.hopNode(at) == node {
		return true
	}
	before, _, _, _ := tv.snatHop()
	return before >= 0 && tv.hopNode(before) == node
}

func appendHit(hits []reached, h reached) []reached {
	for i, o := range hits {
		if o.rule == h.rule {
			hits[i].certain = o.certain || h.certain
			return hits
		}
	}
	return append(hits, h)
}

func (d *diagnosis) masqueradeFinding(n *nodeView, sure, hits []reached, snatted []traceView, pods []*addrStats) {
	rules := sure
	if len(rules) == 0 {
		for _, h := range hits {
			if h.deltaKnown && h.delta > 0 {
				rules = append(rules, h)
			}
		}
	}
	if len(rules) == 0 {
		rules = hits
	}
	f := newFinding(IDPodTrafficMasqueraded)
	f.Target = targetOf(pods, nodeLabel(n))
	var seenAs string
	if len(snatted) > 0 {
		tv := snatted[0]
		_, _, seen, _ := tv.snatHop()
		f.Target = d.traceTarget(tv)
		holder := d.nodes.nodeHolding(seen)
		seenAs = fmt.Sprintf("; at %s the request to %s carries source %s (%s), not the client's %s",
			tv.tr.Hops[len(tv.tr.Hops)-1].Label, tv.tr.Destination, seen, holder, tv.tr.Source)
	}
	if len(rules) > 0 {
		f.Summary = fmt.Sprintf("%s: pod-to-pod traffic is masqueraded on node %s by %s %q%s", f.Target, n.name,
			rules[0].chain.Name, ruleText(rules[0].rule), seenAs)
		f.Hop = fmt.Sprintf("node %s nat POSTROUTING: %s", n.name, rules[0].where())
	} else {
		f.Summary = fmt.Sprintf("%s: pod-to-pod traffic is source-NATed on node %s%s", f.Target, n.name, seenAs)
		f.Hop = fmt.Sprintf("node %s nat POSTROUTING", n.name)
	}
	f.CheckIDs = n.infoIDs()
	for _, r := range rules {
		line := r.describe()
		if !r.certain {
			line += " (reached only if conditions the flow does not decide match)"
		}
		f.Evidence = append(f.Evidence, line)
	}
	for _, tv := range snatted {
		before, at, seen, _ := tv.snatHop()
		from := "the first hop"
		if before >= 0 {
			from = tv.tr.Hops[before].Label
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("trace %s: source %s seen up to %s, %s from %s on (%s): the destination sees %s",
			tv.res.ID, tv.tr.Source, from, seen, tv.tr.Hops[at].Label, strings.Join(natNotesOf(tv), "; "), d.nodes.nodeHolding(seen)))
		f.CheckIDs = appendUnique(f.CheckIDs, tv.res.ID)
	}
	if cidrs := d.nodes.podNetworks(); len(cidrs) > 0 {
		f.Evidence = append(f.Evidence, "pod networks: "+prefixList(cidrs)+": a rule catching pod-to-pod traffic needs "+
			"a RETURN or ! -d exclusion for them before it")
	}
	for _, s := range pods {
		f.CheckIDs = appendUnique(f.CheckIDs, s.checkIDs()...)
	}
	d.add(f)
}

func natNotesOf(tv traceView) []string {
	for _, p := range tv.tr.Probes {
		if len(p.NAT) > 0 {
			return p.NAT
		}
	}
	return []string{"no NAT note"}
}

func prefixList(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ", ")
}
