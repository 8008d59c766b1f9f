package diagnose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// vxlanOverhead is what VXLAN adds to each packet: outer IPv4 20 + UDP 8 +
// VXLAN 8 + inner Ethernet 14.
const vxlanOverhead = 50

// ruleOverlayMTU compares the MTUs of the overlay with what sits around it:
//   - a VXLAN device whose MTU plus 50 exceeds its underlay's MTU: full-size
//     encapsulated packets cannot leave the node (a fault);
//   - VXLAN devices of the same name with different MTUs across the nodes;
//   - a node's pod bridge with a larger MTU than its VXLAN device: its pods
//     send packets the overlay must refuse with fragmentation-needed.
//
// The last two are warnings (PMTU discovery copes while ICMP gets through),
// raised to faults when a DF sweep of the run lost packets. The finding names
// the node and device at odds, with the hop MTU table of the traces.
func ruleOverlayMTU(d *diagnosis) {
	nodes := d.nodes.withInfo()
	var problems []string
	var odd *nodeView
	var oddLink *v1alpha1.NodeLink
	fault := false
	for _, n := range nodes {
		for _, l := range n.vxlanLinks() {
			if l.VXLAN != nil && l.VXLAN.UnderlayMTU > 0 && l.MTU+vxlanOverhead > l.VXLAN.UnderlayMTU {
				problems = append(problems, fmt.Sprintf("node %s: %s MTU %d needs an underlay MTU of %d, but %s has %d: "+
					"full-size encapsulated packets cannot leave the node", n.name, l.Name, l.MTU, l.MTU+vxlanOverhead,
					firstNonEmpty(l.VXLAN.Underlay, "its underlay"), l.VXLAN.UnderlayMTU))
				fault = true
				if odd == nil {
					odd, oddLink = n, l
				}
			}
		}
	}
	if n, l, line := mtuAcrossNodes(nodes); line != "" {
		problems = append(problems, line)
		if odd == nil {
			odd, oddLink = n, l
		}
	}
	for _, n := range nodes {
		for _, l := range n.vxlanLinks() {
			for _, b := range pathLinks(n) {
				if b.Kind == "bridge" && b.MTU > l.MTU {
					problems = append(problems, fmt.Sprintf("node %s: %s MTU %d is larger than %s MTU %d: its pods send "+
						"packets the overlay refuses with fragmentation-needed", n.name, b.Name, b.MTU, l.Name, l.MTU))
					if odd == nil {
						odd, oddLink = n, l
					}
				}
			}
		}
	}
	if odd == nil {
		return
	}
	f := newFinding(IDOverlayMTUMismatch)
	f.Target = nodeLabel(odd)
	f.Summary = fmt.Sprintf("node %s: %s MTU %d does not fit the overlay path: %s", odd.name, oddLink.Name, oddLink.MTU,
		problems[0])
	f.Hop = fmt.Sprintf("node %s %s (MTU %d)", odd.name, oddLink.Name, oddLink.MTU)
	f.Evidence = append(f.Evidence, problems[1:]...)
	for _, n := range nodes {
		f.Evidence = append(f.Evidence, nodeMTULine(n))
		f.CheckIDs = appendUnique(f.CheckIDs, n.infoIDs()...)
	}
	tables := map[string]bool{}
	for _, tv := range d.nodes.traceViews() {
		if t := tv.mtuTable(); t != "" {
			if !tables[t] { // the ICMP trace to a pod crosses the TCP trace's hops
				f.Evidence = append(f.Evidence, fmt.Sprintf("trace to %s: %s", tv.dst(), t))
			}
			tables[t] = true
			f.CheckIDs = appendUnique(f.CheckIDs, tv.res.ID)
		}
	}
	for _, res := range mtuResults(d.ix.r) {
		m := res.ICMP.MTU
		if m.ReportedMTU > 0 {
			line := fmt.Sprintf("DF sweep to %s: %s reported next-hop MTU %d", res.ICMP.Address, firstNonEmpty(m.ReportedBy, "a hop"), m.ReportedMTU)
			if h := d.nodes.nodeHolding(addrOf(m.ReportedBy)); h != nil {
				line += " (" + h.String() + ")"
			}
			f.Evidence = append(f.Evidence, line)
			f.CheckIDs = appendUnique(f.CheckIDs, res.ID)
		}
		if m.Outcome == v1alpha1.MTUBlackHole {
			fault = true
			f.Evidence = append(f.Evidence, fmt.Sprintf("DF sweep to %s: packets up to %d B pass, %d B and larger vanish",
				res.ICMP.Address, m.LargestOK, m.SmallestLost))
			f.CheckIDs = appendUnique(f.CheckIDs, res.ID)
		}
	}
	if fault {
		f.Severity = v1alpha1.SeverityFault
	}
	i := d.add(f)
	for _, id := range f.CheckIDs {
		d.claim("mtu:"+id, i) // the sweeps cited here: this finding is their cause
	}
}

// mtuAcrossNodes finds VXLAN devices of one name whose MTU differs between
// nodes and returns the node at odds (the one off the most common MTU, the
// lowest on a tie) with a line naming every node's MTU.
func mtuAcrossNodes(nodes []*nodeView) (*nodeView, *v1alpha1.NodeLink, string) {
	type entry struct {
		n *nodeView
		l *v1alpha1.NodeLink
	}
	byName := map[string][]entry{}
	var names []string
	for _, n := range nodes {
		for _, l := range n.vxlanLinks() {
			if _, ok := byName[l.Name]; !ok {
				names = append(names, l.Name)
			}
			byName[l.Name] = append(byName[l.Name], entry{n, l})
		}
	}
	sort.Strings(names)
	for _, name := range names {
		es := byName[name]
		count := map[int]int{}
		for _, e := range es {
			count[e.l.MTU]++
		}
		if len(count) < 2 {
			continue
		}
		common, commonN := 0, 0
		for mtu, c := range count {
			if c > commonN || (c == commonN && mtu > common) {
				common, commonN = mtu, c
			}
		}
		var oddOne *entry
		parts := make([]string, len(es))
		for i := range es {
			e := es[i]
			parts[i] = fmt.Sprintf("node %s %d", e.n.name, e.l.MTU)
			if e.l.MTU != common && (oddOne == nil || e.l.MTU < oddOne.l.MTU) {
				oddOne = &es[i]
			}
		}
		return oddOne.n, oddOne.l, fmt.Sprintf("%s MTUs differ between the nodes: %s", name, strings.Join(parts, ", "))
	}
	return nil, nil, ""
}

// nodeMTULine renders a node's overlay-related MTUs:
// "node n2: flannel.1 1400 (underlay eth0 1550), cni0 1500".
func nodeMTULine(n *nodeView) string {
	var parts []string
	for _, l := range pathLinks(n) {
		p := fmt.Sprintf("%s %d", l.Name, l.MTU)
		if l.VXLAN != nil && l.VXLAN.Underlay != "" {
			p += fmt.Sprintf(" (underlay %s %d)", l.VXLAN.Underlay, l.VXLAN.UnderlayMTU)
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("node %s: %s", n.name, firstNonEmpty(strings.Join(parts, ", "), "no bridge or VXLAN device"))
}
