package diagnose

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleMTU reads the DF size sweeps of ICMP checks. A black hole (large DF packets
// lost with no frag-needed) is a fault: TCP handshakes work and transfers stall.
// A reported (or cached) path MTU below the interface MTU is only a warning,
// since PMTU discovery works, unless packets that fit it vanish as well.
func ruleMTU(d *diagnosis) {
	blackHoled := map[string]bool{}
	for _, res := range mtuResults(d.ix.r) {
		if res.ICMP.MTU.Outcome == v1alpha1.MTUBlackHole {
			blackHoled[canonicalIP(res.ICMP.Address)] = true
		}
	}
	for _, res := range mtuResults(d.ix.r) {
		if d.isClaimed("mtu:" + res.ID) {
			continue // a node's overlay MTU (ruleOverlayMTU) already explains this sweep
		}
		m := res.ICMP.MTU
		switch {
		case m.Outcome == v1alpha1.MTUBlackHole:
			d.add(blackHoleFinding(d.ix, res))
		case m.ReportedMTU > 0 && (m.InterfaceMTU == 0 || m.ReportedMTU < m.InterfaceMTU):
			d.add(pmtuFinding(d.ix, res, blackHoled[canonicalIP(res.ICMP.Address)]))
		case m.Outcome == v1alpha1.MTULocal && m.PathMTU > 0 && m.PathMTU < m.InterfaceMTU:
			d.add(pmtuFinding(d.ix, res, blackHoled[canonicalIP(res.ICMP.Address)]))
		}
	}
}

func mtuResults(r *v1alpha1.Report) []*v1alpha1.CheckResult {
	var out []*v1alpha1.CheckResult
	for i := range r.Results {
		res := &r.Results[i]
		if res.ICMP != nil && res.ICMP.MTU != nil && res.Status != v1alpha1.StatusError && res.Status != v1alpha1.StatusSkip {
			out = append(out, res)
		}
	}
	return out
}

func blackHoleFinding(ix *index, res *v1alpha1.CheckResult) v1alpha1.Finding {
	m := res.ICMP.MTU
	f := newFinding(IDMTUBlackHole)
	f.Target = icmpTargetLabel(ix, res)
	f.Summary = fmt.Sprintf("%s: MTU black hole to %s: DF packets up to %d B get through, %d B and larger vanish",
		f.Target, res.ICMP.Address, m.LargestOK, m.SmallestLost)
	f.Hop = pathHop(ix, res.ICMP.Address)
	f.CheckIDs = []string{res.ID}
	f.Evidence = []string{
		fmt.Sprintf("largest DF packet answered: %d B; smallest lost: %d B; no ICMP fragmentation-needed came back",
			m.LargestOK, m.SmallestLost),
	}
	if m.InterfaceMTU > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("egress interface %s MTU %d, path MTU %d (%d B less)",
			firstNonEmpty(m.Interface, "?"), m.InterfaceMTU, m.PathMTU, m.InterfaceMTU-m.PathMTU))
	}
	if m.ReportedMTU > 0 {
		f.Hop = fmt.Sprintf("hop %s (reported next-hop MTU %d) on the %s", firstNonEmpty(m.ReportedBy, "?"), m.ReportedMTU, f.Hop)
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s reported next-hop MTU %d, yet DF packets that fit it vanish too",
			firstNonEmpty(m.ReportedBy, "a hop"), m.ReportedMTU))
	}
	f.Evidence = append(f.Evidence, sizeLines(m)...)
	f.Fix = fmt.Sprintf("Set the CNI/pod MTU to %d or less (underlay MTU minus encapsulation overhead, e.g. -50 for "+
		"VXLAN), or let ICMP type 3 code 4 through the firewalls so PMTU discovery works, or clamp TCP MSS.", m.PathMTU)
	return f
}

func pmtuFinding(ix *index, res *v1alpha1.CheckResult, alsoBlackHole bool) v1alpha1.Finding {
	m := res.ICMP.MTU
	f := newFinding(IDPMTUReduced)
	f.Target = icmpTargetLabel(ix, res)
	f.CheckIDs = []string{res.ID}
	pmtu := firstPositive(m.ReportedMTU, m.PathMTU)
	iface := fmt.Sprintf("%s MTU %d", firstNonEmpty(m.Interface, "egress interface"), m.InterfaceMTU)
	if m.ReportedMTU > 0 {
		by := firstNonEmpty(m.ReportedBy, "an unnamed hop")
		f.Summary = fmt.Sprintf("%s: hop %s reports path MTU %d to %s, below %s", f.Target, by, m.ReportedMTU, res.ICMP.Address, iface)
		f.Hop = fmt.Sprintf("hop %s (next-hop MTU %d)", by, m.ReportedMTU)
		f.Evidence = []string{fmt.Sprintf("ICMP fragmentation-needed from %s: next-hop MTU %d", by, m.ReportedMTU)}
	} else {
		f.Summary = fmt.Sprintf("%s: the kernel caches path MTU %d to %s, below %s", f.Target, m.PathMTU, res.ICMP.Address, iface)
		f.Hop = pathHop(ix, res.ICMP.Address)
		f.Evidence = []string{fmt.Sprintf("local EMSGSIZE above %d B: a path MTU learnt from an earlier fragmentation-needed", m.PathMTU)}
	}
	if m.InterfaceMTU > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s: packets of %d..%d B rely on PMTU discovery", iface, pmtu+1, m.InterfaceMTU))
	}
	f.Evidence = append(f.Evidence, sizeLines(m)...)
	var lostBelow []string
	for _, p := range m.Probes {
		if p.Outcome == "timeout" && p.Size <= pmtu {
			lostBelow = append(lostBelow, strconv.Itoa(p.Size))
		}
	}
	if alsoBlackHole || len(lostBelow) > 0 {
		f.Severity = v1alpha1.SeverityFault
		f.Summary += ", and packets that fit it still vanish"
		if len(lostBelow) > 0 {
			f.Evidence = append(f.Evidence, "DF packets at or below the reported MTU lost too: "+strings.Join(lostBelow, ", ")+" B")
		} else {
			f.Evidence = append(f.Evidence, "another sweep to "+res.ICMP.Address+" found a black hole")
		}
	}
	f.Fix = fmt.Sprintf("Lower the pod/CNI MTU to %d so packets fit the path without PMTU discovery.", pmtu)
	return f
}

// sizeLines summarises the sweep: which DF sizes were answered and which were not.
func sizeLines(m *v1alpha1.MTUResult) []string {
	var ok, lost []int
	for _, p := range m.Probes {
		if p.Outcome == "ok" {
			ok = append(ok, p.Size)
		} else {
			lost = append(lost, p.Size)
		}
	}
	var out []string
	if len(ok) > 0 {
		out = append(out, "DF sizes answered: "+intList(ok)+" B")
	}
	if len(lost) > 0 {
		out = append(out, "DF sizes lost or refused: "+intList(lost)+" B")
	}
	return out
}

func intList(v []int) string {
	sort.Ints(v)
	parts := make([]string, 0, len(v))
	for i, n := range v {
		if i > 0 && v[i-1] == n {
			continue
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, ", ")
}

// pathHop names a path from the source pod to addr, with the far pod and node when known.
func pathHop(ix *index, addr string) string {
	ip := canonicalIP(addr)
	far := addr
	if t, ep := ix.endpointByIP(ip); ep != nil {
		far = fmt.Sprintf("%s (%s)", addr, podOnNode(qualify(t.Namespace, ep.Pod), ep.Node))
	} else if t := ix.targetByIP(ip); t != nil && t.Kind == "pod" {
		far = fmt.Sprintf("%s (%s)", addr, podOnNode(qualify(t.Namespace, firstNonEmpty(t.Pod, t.Name)), t.Node))
	}
	return fmt.Sprintf("path from %s to %s", firstNonEmpty(ix.sourceDesc(), "the source"), far)
}

func icmpTargetLabel(ix *index, res *v1alpha1.CheckResult) string {
	ip := canonicalIP(res.ICMP.Address)
	if t := ix.targetByIP(ip); t != nil {
		return targetLabel(t)
	}
	if t, _ := ix.endpointByIP(ip); t != nil {
		return targetLabel(t)
	}
	return firstNonEmpty(res.Target, res.ICMP.Address)
}

func firstPositive(v ...int) int {
	for _, n := range v {
		if n > 0 {
			return n
		}
	}
	return 0
}
