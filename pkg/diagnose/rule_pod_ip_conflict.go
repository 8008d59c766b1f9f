package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// rulePodIPConflict reports an IP held by two network namespaces on one node
// (the namespace scan's duplicates). It names every holder the way an
// operator finds it again: the pod, and the other namespace with its
// processes, their parents and whether it is leaked. It explains the
// connects to that IP: their intermittent RSTs come from the impostor.
func rulePodIPConflict(d *diagnosis) {
	for _, n := range d.nodes.list {
		for _, scan := range n.scans {
			for _, dup := range scan.NSScan.Duplicates {
				if len(dup.Holders) < 2 || d.reportedByOwner(n, dup.IP) {
					continue
				}
				d.ipConflict(n, scan, dup)
			}
		}
	}
}

// reportedByOwner: ip belongs to another node's pod CIDR and that node's own
// scan reports it held twice too. Nodes that share one kernel (nested test
// nodes) see each other's namespaces; the conflict is the owner node's.
func (d *diagnosis) reportedByOwner(n *nodeView, ip string) bool {
	owner := d.nodes.nodeOfPodIP(addrOf(ip))
	if owner == nil || owner == n {
		return false
	}
	for _, scan := range owner.scans {
		for _, dup := range scan.NSScan.Duplicates {
			if dup.IP == ip && len(dup.Holders) > 1 {
				return true
			}
		}
	}
	return false
}

func (d *diagnosis) ipConflict(n *nodeView, scan *v1alpha1.CheckResult, dup v1alpha1.DuplicateIP) {
	ip := addrOf(dup.IP)
	addrs := d.addrsAt(ip)
	f := newFinding(IDPodIPConflict)
	f.Target = targetOf(addrs, nodeLabel(n))
	if t := d.ix.targetByIP(dup.IP); t != nil {
		f.Target = targetLabel(t)
	} else if t, _ := d.ix.endpointByIP(dup.IP); t != nil {
		f.Target = targetLabel(t)
	}
	names := make([]string, len(dup.Holders))
	ports := make([]string, 0, len(dup.Holders))
	for i, h := range dup.Holders {
		names[i] = holderName(h)
		if len(h.BridgePorts) > 0 {
			ports = append(ports, fmt.Sprintf("%s (%s)", strings.Join(h.BridgePorts, ","), holderShort(h)))
		}
	}
	f.Summary = fmt.Sprintf("%s: IP %s is held by %d network namespaces on node %s: %s", f.Target, dup.IP,
		len(dup.Holders), n.name, strings.Join(names, " and "))
	f.Hop = fmt.Sprintf("node %s: %s held twice", n.name, dup.IP)
	if len(ports) > 0 {
		f.Hop += " on the bridge, ports " + strings.Join(ports, " and ")
	}
	f.CheckIDs = []string{scan.ID}
	for _, h := range dup.Holders {
		f.Evidence = append(f.Evidence, holderLine(h))
	}
	if dup.SameMAC {
		f.Evidence = append(f.Evidence, fmt.Sprintf("both answer with the same MAC %s: duplicate address detection "+
			"(arping -D) and ARP tables cannot tell them apart; the bridge sends each frame to whichever port last "+
			"sent from that MAC", dup.Holders[0].MAC))
	} else {
		f.Evidence = append(f.Evidence, "the holders have different MACs: ARP answers race, and clients' "+
			"neighbour entries flip between them")
	}
	if !scan.NSScan.SandboxesKnown && scan.NSScan.SandboxSource != "" {
		f.Evidence = append(f.Evidence, "pod ownership: "+scan.NSScan.SandboxSource)
	}
	i := d.add(f)
	for _, other := range d.nodes.list {
		for _, sc := range other.scans {
			if other != n && d.reportedByOwner(other, dup.IP) {
				d.amend(i, []string{fmt.Sprintf("node %s's scan sees the same namespaces: the nodes share one kernel", other.name)},
					[]string{sc.ID})
			}
		}
	}
	d.explain(i, addrs)
	d.claim("conflict:"+dup.IP, i)
	for _, tv := range d.nodes.traceViews() {
		if addrOf(tv.tr.Destination) != ip || d.traceClaimed(tv) {
			continue
		}
		if line := impostorReplies(tv); line != "" {
			d.amend(i, []string{line}, nil)
		}
		d.claimTrace(i, tv)
	}
}

// impostorReplies summarises a trace to a doubly held IP: how many probes
// were answered by the pod and how many refused, and by which MACs.
func impostorReplies(tv traceView) string {
	ok, refused := 0, 0
	macs := map[string]int{}
	for i := range tv.tr.Probes {
		p := &tv.tr.Probes[i]
		switch {
		case answered(p):
			ok++
		case p.Reply != nil && p.Reply.Kind == replyRST:
			refused++
		default:
			continue
		}
		for _, s := range p.Seen {
			if s.Dir == v1alpha1.TraceDirReply && s.HopIndex == tv.hopIndex(p.Reply.FirstHop) && s.SrcMAC != "" {
				macs[s.SrcMAC]++
			}
		}
	}
	if ok+refused == 0 {
		return ""
	}
	if tv.icmp() {
		// Both stacks answer an echo alike: the echoes only say the address answers.
		return fmt.Sprintf("trace %s: %d of %d echoes answered", tv.res.ID, ok, len(tv.tr.Probes))
	}
	line := fmt.Sprintf("trace %s: %d of %d SYNs answered with SYN-ACK, %d with RST", tv.res.ID, ok, len(tv.tr.Probes), refused)
	if len(macs) == 1 && refused > 0 && ok > 0 {
		for m := range macs {
			line += ", all from MAC " + m + ": two network stacks behind one MAC"
		}
	}
	return line
}

// holderName is the short name of a holder for the summary.
func holderName(h v1alpha1.NSHolder) string {
	switch {
	case h.Sandbox != nil && h.Sandbox.Name != "":
		return "pod " + qualify(h.Sandbox.Namespace, h.Sandbox.Name)
	case h.Host:
		return "the node's own namespace"
	}
	s := fmt.Sprintf("a %s namespace net:[%d]", leakWord(h), h.Inode)
	if ps := procList(h.Processes, 2); ps != "" {
		s += " (" + ps + ")"
	}
	return s
}

func holderShort(h v1alpha1.NSHolder) string {
	if h.Sandbox != nil && h.Sandbox.Name != "" {
		return "pod " + qualify(h.Sandbox.Namespace, h.Sandbox.Name)
	}
	return fmt.Sprintf("%s netns net:[%d]", leakWord(h), h.Inode)
}

func leakWord(h v1alpha1.NSHolder) string {
	if h.Leaked {
		return "leaked"
	}
	return "foreign"
}

// holderLine is a holder in full: owner, namespace, interface, address, MAC,
// mounts, bridge ports, processes with parents, leaked or not.
func holderLine(h v1alpha1.NSHolder) string {
	var b strings.Builder
	switch {
	case h.Sandbox != nil && h.Sandbox.Name != "":
		fmt.Fprintf(&b, "pod %s", qualify(h.Sandbox.Namespace, h.Sandbox.Name))
		if h.Sandbox.ID != "" {
			fmt.Fprintf(&b, " (sandbox %.13s)", h.Sandbox.ID)
		}
	case h.Host:
		b.WriteString("the node's own namespace")
	default:
		b.WriteString("no live pod")
	}
	fmt.Fprintf(&b, ": net:[%d] %s %s", h.Inode, firstNonEmpty(h.Interface, "?"), firstNonEmpty(h.Addr, "?"))
	if h.MAC != "" {
		fmt.Fprintf(&b, " mac %s", h.MAC)
	}
	if len(h.Paths) > 0 {
		fmt.Fprintf(&b, ", mounted at %s", strings.Join(h.Paths, ","))
	}
	if len(h.BridgePorts) > 0 {
		fmt.Fprintf(&b, ", bridge port %s", strings.Join(h.BridgePorts, ","))
	}
	if ps := procList(h.Processes, 4); ps != "" {
		b.WriteString(", " + ps)
	} else {
		b.WriteString(", no processes")
	}
	if h.Leaked {
		b.WriteString(", leaked: yes")
	} else if h.Sandbox == nil && !h.Host {
		b.WriteString(", leaked: not judged (pod ownership unknown)")
	}
	return b.String()
}

// procList renders "pid 4242 busybox, parent 1 (re-parented to init)".
func procList(ps []v1alpha1.NSProcess, max int) string {
	if len(ps) == 0 {
		return ""
	}
	parts := make([]string, 0, max+1)
	for i, p := range ps {
		if i == max {
			parts = append(parts, fmt.Sprintf("+%d more", len(ps)-max))
			break
		}
		s := fmt.Sprintf("pid %d %s, parent %d", p.PID, p.Comm, p.PPID)
		switch {
		case p.PPID == 1:
			s += " (re-parented to init)"
		case p.ParentComm != "":
			s += " " + p.ParentComm
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
