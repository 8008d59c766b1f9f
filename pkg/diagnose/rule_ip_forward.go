package diagnose

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleIPForwardDisabled reports a node that does not route: net.ipv4.ip_forward
// is 0, or the forwarding switch of its bridge or overlay device is. With the
// node's traffic traced, the finding names the hop where the packets died
// (seen on flannel.1, never on cni0) and explains those traces; otherwise it
// names the devices it cannot route between. It is a fault when the run sent
// traffic across that node, a warning otherwise.
func ruleIPForwardDisabled(d *diagnosis) {
	for _, n := range d.nodes.withInfo() {
		off := forwardingOff(n)
		if len(off) == 0 {
			continue
		}
		across := append(d.crossesTo(n.name), d.crossesFrom(n.name)...)
		dying := d.tracesDyingOn(n.name)
		f := newFinding(IDIPForwardDisabled)
		f.Target = targetOf(across, nodeLabel(n))
		f.Summary = fmt.Sprintf("%s: node %s does not forward packets (%s)", f.Target, n.name, strings.Join(off, ", "))
		f.Hop = fmt.Sprintf("node %s (%s)", n.name, routedBetween(n))
		f.CheckIDs = n.infoIDs()
		f.Evidence = []string{fmt.Sprintf("node %s%s: %s", n.name, phaseNote(n), strings.Join(off, ", "))}
		if len(dying) > 0 {
			hop, _, _ := dying[0].death()
			f.Hop = dying[0].gapAfter(hop)
			f.Summary += ": packets reach it and die at " + f.Hop
		}
		if len(across) == 0 && len(dying) == 0 {
			f.Severity = v1alpha1.SeverityWarning
			f.Evidence = append(f.Evidence, "no traffic of this run crossed the node; pods elsewhere cannot reach its pods")
		}
		i := d.add(f)
		for _, tv := range dying {
			hop, k, of := tv.death()
			d.amend(i, []string{tv.sightingsLine(hop, k, of)}, nil)
			d.claimTrace(i, tv)
		}
		d.explain(i, failing(across))
	}
}

// forwardingOff lists the forwarding switches that are off on n, e.g.
// "net.ipv4.ip_forward=0", "net.ipv4.conf.flannel/1.forwarding=0".
func forwardingOff(n *nodeView) []string {
	var off []string
	if v, ok := n.sysctl("net.ipv4.ip_forward"); ok && v == "0" {
		off = append(off, "net.ipv4.ip_forward=0")
	}
	if len(off) > 0 {
		return off // every interface's switch follows the global one
	}
	for _, l := range pathLinks(n) {
		if v, ok := n.ifaceSysctl("ipv4", l.Name, "forwarding"); ok && v == "0" {
			off = append(off, fmt.Sprintf("net.ipv4.conf.%s.forwarding=0", strings.ReplaceAll(l.Name, ".", "/")))
		}
	}
	return off
}

// pathLinks are the node's links pod traffic is routed between: the pods'
// bridge (the one holding an address of the node's pod CIDR, when known) and
// VXLAN devices.
func pathLinks(n *nodeView) []*v1alpha1.NodeLink {
	info := n.info()
	if info == nil {
		return nil
	}
	cidr := n.podCIDR()
	var out []*v1alpha1.NodeLink
	for i := range info.Links {
		l := &info.Links[i]
		switch {
		case l.Kind == "vxlan" || l.VXLAN != nil:
			out = append(out, l)
		case l.Kind == "bridge" && (!cidr.IsValid() || holdsIn(l, cidr)):
			out = append(out, l)
		}
	}
	return out
}

func holdsIn(l *v1alpha1.NodeLink, p netip.Prefix) bool {
	for _, a := range l.Addrs {
		if p.Contains(addrOf(a)) {
			return true
		}
	}
	return false
}

// routedBetween names what the node routes pod traffic between, e.g.
// "it cannot route between cni0 and flannel.1".
func routedBetween(n *nodeView) string {
	links := pathLinks(n)
	if len(links) < 2 {
		return "it routes no pod traffic"
	}
	names := make([]string, len(links))
	for i, l := range links {
		names[i] = l.Name
	}
	return "it routes no packet between " + strings.Join(names, " and ")
}
