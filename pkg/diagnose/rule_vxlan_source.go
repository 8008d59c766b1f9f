package diagnose

import (
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleVXLANSourceMismatch reports a VXLAN device whose local (source) address
// is not the address its peers send to: the public IP flannel published for
// the node, or without flannel annotations its InternalIP (then only a
// warning: a setup may choose another underlay on purpose). The outer source
// a trace saw on the wire backs it up.
func ruleVXLANSourceMismatch(d *diagnosis) {
	for _, n := range d.nodes.withInfo() {
		if n.facts == nil {
			continue
		}
		want, what, sev := "", "", v1alpha1.SeverityFault
		switch fl := n.flannel(); {
		case fl != nil && fl.PublicIP != "":
			want, what = fl.PublicIP, "the public-ip flannel published for it"
		case n.facts.InternalIP != "":
			want, what, sev = n.facts.InternalIP, "its InternalIP", v1alpha1.SeverityWarning
		default:
			continue
		}
		for _, link := range n.vxlanLinks() {
			if link.VXLAN == nil || link.VXLAN.Local == "" || addrOf(link.VXLAN.Local) == addrOf(want) {
				continue
			}
			f := newFinding(IDVXLANSourceMismatch)
			f.Severity = sev
			f.Target = nodeLabel(n)
			f.Summary = fmt.Sprintf("node %s: %s encapsulates from %s, not %s (%s)", n.name, link.Name,
				link.VXLAN.Local, want, what)
			f.Hop = fmt.Sprintf("node %s %s (VXLAN local %s)", n.name, link.Name, link.VXLAN.Local)
			f.CheckIDs = n.infoIDs()
			f.Evidence = []string{fmt.Sprintf("%s: VNI %d, local %s, dstport %d, underlay %s", link.Name, link.VXLAN.VNI,
				link.VXLAN.Local, link.VXLAN.DstPort, firstNonEmpty(link.VXLAN.Underlay, "?"))}
			if n.facts.InternalIP != "" {
				f.Evidence = append(f.Evidence, fmt.Sprintf("node %s InternalIP %s", n.name, n.facts.InternalIP))
			}
			if fl := n.flannel(); fl != nil && fl.PublicIP != "" {
				f.Evidence = append(f.Evidence, fmt.Sprintf("node %s flannel public-ip %s: peers' FDB entries send its VtepMAC there",
					n.name, fl.PublicIP))
			}
			var ids []string
			for _, tv := range d.nodes.traceViews() {
				if src := outerSourceFrom(tv, n.name, want); src != "" {
					f.Evidence = append(f.Evidence, fmt.Sprintf("trace %s: encapsulated packets from node %s carried outer source %s on the wire",
						tv.res.ID, n.name, src))
					ids = append(ids, tv.res.ID)
				}
			}
			i := d.add(f)
			d.amend(i, nil, ids)
		}
	}
}

// outerSourceFrom is the outer source of the first encapsulated packet the
// trace saw leaving node, "" when none. Every encapsulated sighting on node's
// hops is not one: requests crossing toward node arrive there encapsulated
// by the peer, carrying the peer's source and peersSendTo (the address peers
// encapsulate to) as destination. A packet node encapsulated itself, a
// request or a reply, is addressed to someone else.
func outerSourceFrom(tv traceView, node, peersSendTo string) string {
	for _, p := range tv.tr.Probes {
		for _, s := range p.Seen {
			if s.OuterSrc == "" || s.HopIndex < 0 || s.HopIndex >= len(tv.tr.Hops) || tv.hopNode(s.HopIndex) != node {
				continue
			}
			if addrOf(s.OuterDst) != addrOf(peersSendTo) {
				return s.OuterSrc
			}
		}
	}
	return ""
}
