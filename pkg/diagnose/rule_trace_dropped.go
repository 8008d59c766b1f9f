package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleTraceDropped is the generic "the packet died here": a trace whose
// unanswered probes were last seen on one hop and on none after it, that no
// node rule explained. An ICMP trace to a pod whose TCP trace already names
// the drop joins that finding (ruleTraceAttach) rather than repeating it. It names the gap ("node n2 between flannel.1 and
// cni0"), adds what the node's state says about that spot, and explains the
// connects to the traced address.
func ruleTraceDropped(d *diagnosis) {
	for _, tv := range d.nodes.traceViews() {
		if d.traceSettled(tv) {
			continue
		}
		hop, k, of := tv.death()
		if k == 0 || hop < 0 || reachedDestinationPod(tv, hop) {
			continue
		}
		if tv.icmp() && tcpSuccessTo(d.ix, tv.ip()) != nil {
			continue // only ping is dropped: icmp-blocked-tcp-ok, with this trace as evidence
		}
		f := newFinding(IDTraceDroppedAtHop)
		f.Target = d.traceTarget(tv)
		gap := tv.gapAfter(hop)
		probes := probeCount(k)
		if tv.icmp() {
			probes = plural(k, "echo", "echoes")
		}
		f.Summary = fmt.Sprintf("%s: %s to %s last seen at %s, then nowhere: dropped %s", f.Target,
			probes, tv.dst(), tv.tr.Hops[hop].Label, withOn(gap))
		f.Hop = gap
		f.CheckIDs = []string{tv.res.ID}
		f.Evidence = []string{tv.sightingsLine(hop, k, of)}
		if n := d.nodes.node(tv.hopNode(hop)); n != nil {
			f.Evidence = append(f.Evidence, nodeStateAt(n, tv, hop)...)
			f.CheckIDs = appendUnique(f.CheckIDs, n.infoIDs()...)
		}
		if t := tv.mtuTable(); t != "" {
			f.Evidence = append(f.Evidence, t)
		}
		i := d.add(f)
		d.claimTrace(i, tv)
		if tv.icmp() {
			d.explainPing(i, tv.ip())
			continue
		}
		if s, ok := d.ix.byAddr[tv.dst()]; ok && s.failed() > 0 {
			d.explain(i, []*addrStats{s})
		}
	}
}

// explainPing makes finding i, an ICMP trace to ip dying on the way, the
// explanation of the failed echoes and connects to ip.
func (d *diagnosis) explainPing(i int, ip string) {
	d.claim("host:"+ip, i)
	var failed []*addrStats
	for _, s := range d.ix.addrs {
		// Timeouts only: a refusal to the same IP is the pod's answer, another fault.
		if s.failed() > 0 && s.counts[v1alpha1.TCPTimeout] == s.failed() && canonicalIP(s.ip()) == ip {
			failed = append(failed, s)
		}
	}
	d.explain(i, failed)
	d.explainICMPTo(i, map[string]bool{ip: true})
}

// reachedDestinationPod: the request got into a destination pod's own
// interface and nothing answered. The network delivered it; the pod (its own
// firewall, its listener) kept silent, which the pod-view rules name with the
// pod (endpoint-timeout, tcp-timeout), the trace then serving as their
// evidence. The source pod's hop (0) is not a destination.
func reachedDestinationPod(tv traceView, hop int) bool {
	h := tv.tr.Hops[hop]
	return hop > 0 && (h.Role == "pod" || strings.HasPrefix(h.Name, "pod "))
}

// withOn renders the gap as a place: "on node n2 between ...".
func withOn(gap string) string {
	if len(gap) > 5 && gap[:5] == "node " {
		return "on " + gap
	}
	return gap
}

// nodeStateAt lists the node facts that bear on a drop after hop: forwarding,
// the FORWARD policy, the hop's and the next hop's rp_filter.
func nodeStateAt(n *nodeView, tv traceView, hop int) []string {
	var out []string
	if v, ok := n.sysctl("net.ipv4.ip_forward"); ok {
		out = append(out, fmt.Sprintf("node %s: net.ipv4.ip_forward=%s", n.name, v))
	}
	if info := n.info(); info != nil && info.Firewall != nil {
		for _, t := range info.Firewall.Tables {
			for _, c := range t.Chains {
				// The traces are IPv4: an ip6 table's policy is not theirs.
				if c.Hook == "forward" && c.Policy != "" && c.Policy != "accept" && t.Family != "ip6" {
					out = append(out, fmt.Sprintf("node %s: %s %s %s policy %s", n.name, t.Family, t.Name, c.Name, c.Policy))
				}
			}
		}
	}
	for _, i := range []int{hop, hop + 1} {
		if i >= len(tv.tr.Hops) || tv.hopNode(i) != n.name {
			continue
		}
		ifname := firstNonEmpty(tv.tr.Hops[i].Ifname, tv.hopName(i))
		if v, ok := n.ifaceSysctl("ipv4", ifname, "rp_filter"); ok && v != "0" {
			out = append(out, fmt.Sprintf("node %s: %s rp_filter=%s", n.name, ifname, v))
		}
	}
	return out
}
