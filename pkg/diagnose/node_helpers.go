package diagnose

import (
	"fmt"
	"net/netip"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// sourceIPs are the source pod's addresses: where every flow of the run starts.
func (d *diagnosis) sourceIPs() []netip.Addr {
	var out []netip.Addr
	for _, s := range d.ix.r.Source.PodIPs {
		if a := addrOf(s); a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// flowsFor are the flows of the connects to s: from each source IP to s, and
// for a Service IP also to each of its endpoints (the address the packets
// carry after kube-proxy's DNAT on the source node).
func (d *diagnosis) flowsFor(s *addrStats) []flow {
	dsts := []struct {
		ip   netip.Addr
		port int
	}{{addrOf(s.ip()), s.port()}}
	if s.target != nil && s.endpoint == nil && s.target.isService() {
		for _, e := range s.target.endpoints {
			dsts = append(dsts, struct {
				ip   netip.Addr
				port int
			}{addrOf(e.ep.IP), e.ep.Port})
		}
	}
	var out []flow
	for _, src := range d.sourceIPs() {
		for _, dst := range dsts {
			out = append(out, flow{src: src, dst: dst.ip, dport: dst.port, proto: "tcp"})
		}
	}
	return out
}

// addrsAt are the probed addresses whose IP is ip (any port).
func (d *diagnosis) addrsAt(ip netip.Addr) []*addrStats {
	var out []*addrStats
	for _, s := range d.ix.addrs {
		if addrOf(s.ip()) == ip {
			out = append(out, s)
		}
	}
	return out
}

// podNodeOf is the node the pod behind s runs on: from the resolved
// endpoint/pod, else the node whose pod CIDR holds the address.
func (d *diagnosis) podNodeOf(s *addrStats) string {
	if n := s.node(); n != "" {
		return n
	}
	if n := d.nodes.nodeOfPodIP(addrOf(s.ip())); n != nil {
		return n.name
	}
	return ""
}

// crossesTo are the probed addresses of pods on node reached from another node.
func (d *diagnosis) crossesTo(node string) []*addrStats {
	var out []*addrStats
	for _, s := range d.ix.addrs {
		if n := d.podNodeOf(s); n == node && n != d.ix.r.Source.Node {
			out = append(out, s)
		}
	}
	return out
}

// crossesFrom are the probed addresses of pods on other nodes when the source
// runs on node.
func (d *diagnosis) crossesFrom(node string) []*addrStats {
	if d.ix.r.Source.Node != node {
		return nil
	}
	var out []*addrStats
	for _, s := range d.ix.addrs {
		if n := d.podNodeOf(s); n != "" && n != node {
			out = append(out, s)
		}
	}
	return out
}

// failing keeps the addresses where some connect failed.
func failing(addrs []*addrStats) []*addrStats {
	var out []*addrStats
	for _, s := range addrs {
		if s.failed() > 0 {
			out = append(out, s)
		}
	}
	return out
}

// explain claims addrs for finding i, adds their connect lines and results,
// and also claims the failing Service IPs in front of them: with these
// backends broken, the Service's failures are the same fault.
func (d *diagnosis) explain(i int, addrs []*addrStats) {
	seen := map[*addrStats]bool{}
	for _, s := range addrs {
		if seen[s] || d.isClaimed(s.addr) {
			continue
		}
		seen[s] = true
		d.amend(i, []string{connectLine(s)}, s.checkIDs())
		d.claim(s.addr, i)
	}
	d.explainICMP(i, seen)
	for _, tv := range d.ix.targets {
		if !tv.isService() {
			continue
		}
		hit := false
		for _, e := range tv.endpoints {
			hit = hit || (e.stats != nil && seen[e.stats])
		}
		if !hit {
			continue
		}
		for _, s := range tv.front {
			if s.failed() > 0 && !d.isClaimed(s.addr) && !seen[s] {
				d.amend(i, []string{"via the Service IP " + connectLine(s)}, s.checkIDs())
				d.claim(s.addr, i)
			}
		}
	}
}

// claimTrace marks a trace as explained by finding i and cites it. The
// traced IP is claimed too, for the ICMP trace to the same pod.
func (d *diagnosis) claimTrace(i int, tv traceView) {
	d.claim("trace:"+tv.res.ID, i)
	d.claim("traceip:"+tv.ip(), i)
	d.amend(i, nil, []string{tv.res.ID})
}

func (d *diagnosis) traceClaimed(tv traceView) bool { return d.isClaimed("trace:" + tv.res.ID) }

// traceSettled: the trace is used, or its address is explained already, in
// which case ruleTraceAttach makes it that finding's evidence.
func (d *diagnosis) traceSettled(tv traceView) bool {
	if tv.icmp() {
		_, ok := d.findingFor(tv)
		return d.traceClaimed(tv) || ok
	}
	return d.traceClaimed(tv) || d.isClaimed(tv.dst())
}

// findingFor is the finding that explains the trace's address. An ICMP
// trace has no port: it joins the finding of another trace to its IP (the
// TCP trace that showed the same fault), of the IP itself (unreachable, not
// answering ping), or of a connect to it.
func (d *diagnosis) findingFor(tv traceView) (int, bool) {
	if !tv.icmp() {
		i, ok := d.claimed[tv.dst()]
		return i, ok
	}
	ip := tv.ip()
	for _, key := range []string{"traceip:" + ip, "host:" + ip, "echo:" + ip} {
		if i, ok := d.claimed[key]; ok {
			return i, true
		}
	}
	for _, s := range d.ix.addrs {
		if i, ok := d.claimed[s.addr]; ok && canonicalIP(s.ip()) == ip {
			return i, true
		}
	}
	return 0, false
}

// tracesDyingOn are the traces whose silent probes were last seen on node.
func (d *diagnosis) tracesDyingOn(node string) []traceView {
	var out []traceView
	for _, tv := range d.nodes.traceViews() {
		if hop, _, _ := tv.death(); hop >= 0 && tv.hopNode(hop) == node {
			out = append(out, tv)
		}
	}
	return out
}

// traceTarget is the label of the target a trace probed.
func (d *diagnosis) traceTarget(tv traceView) string {
	if s, ok := d.ix.byAddr[tv.dst()]; ok {
		return s.targetLabel()
	}
	if t := d.ix.targetByIP(tv.tr.Destination); t != nil {
		return targetLabel(t)
	}
	return firstNonEmpty(tv.res.Target, tv.dst())
}

// nodeLabel renders "node NAME".
func nodeLabel(n *nodeView) string { return "node " + n.name }

// sortedFindingTarget picks a target label for a node finding from the
// addresses it explains, else "node NAME".
func targetOf(addrs []*addrStats, fallback string) string {
	for _, s := range addrs {
		if l := s.targetLabel(); l != "" {
			return l
		}
	}
	return fallback
}

// phaseNote says which snapshot a node fact comes from.
func phaseNote(n *nodeView) string {
	if r := n.infoResult(); r != nil && r.NodeInfo.Phase != "" {
		return fmt.Sprintf(" (nodeinfo %s the probes)", r.NodeInfo.Phase)
	}
	return ""
}

// explainICMP cites the failed ICMP checks to the IPs of explained addresses:
// the echoes died where the connects did.
func (d *diagnosis) explainICMP(i int, explained map[*addrStats]bool) {
	ips := map[string]bool{}
	for s := range explained {
		ips[canonicalIP(s.ip())] = true
	}
	d.explainICMPTo(i, ips)
}

// explainICMPTo cites the failed ICMP checks to ips.
func (d *diagnosis) explainICMPTo(i int, ips map[string]bool) {
	for k := range d.ix.r.Results {
		res := &d.ix.r.Results[k]
		if res.ICMP == nil || res.Status != v1alpha1.StatusFail || !ips[canonicalIP(res.ICMP.Address)] {
			continue
		}
		if res.ICMP.MTU != nil && res.ICMP.Received > 0 {
			continue // a DF sweep finding of its own, not a lost echo
		}
		d.amend(i, []string{fmt.Sprintf("ICMP echo to %s: %d/%d replies", res.ICMP.Address, res.ICMP.Received, res.ICMP.Sent)},
			[]string{res.ID})
	}
}
