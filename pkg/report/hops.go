package report

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// writeTraces draws each trace of the report: the path hop by hop across
// nodes, each hop's MTU and addresses and how many probes (and answers) it
// saw, then per probe where it was last seen and what answered.
func writeTraces(b *strings.Builder, r *v1alpha1.Report) error {
	first := true
	for _, res := range r.Results {
		tr := res.Trace
		if tr == nil || len(tr.Hops) == 0 {
			continue
		}
		if first {
			b.WriteString("\nTRACES\n")
			first = false
		}
		head := fmt.Sprintf("%s %s from %s: %s", res.ID, res.Target, firstNonEmpty(res.Vantage, "?"),
			strings.ToUpper(string(res.Status))+" "+firstNonEmpty(res.Summary, res.Error))
		for _, l := range wrap(head, lineWidth, "", "    ") {
			b.WriteString(l + "\n")
		}
		for i, l := range pathLines(tr.Hops) {
			label := "  path   "
			if i > 0 {
				label = "         "
			}
			for _, w := range wrap(l, lineWidth, label, "           ") {
				b.WriteString(w + "\n")
			}
		}
		if err := writeHopTable(b, tr); err != nil {
			return err
		}
		for i, l := range probeLines(tr) {
			label := "  probes "
			if i > 0 {
				label = "         "
			}
			for _, w := range wrap(l, lineWidth, label, "           ") {
				b.WriteString(w + "\n")
			}
		}
	}
	return nil
}

// pathLines is the path with one line per node: "node1: pod client -> veth
// -> cni0 -> flannel.1 -> eth0", then "=> node2: eth0 -> ...".
func pathLines(hops []v1alpha1.TraceHopInfo) []string {
	var lines []string
	var cur []string
	node := ""
	flush := func() {
		if len(cur) == 0 {
			return
		}
		prefix := ""
		if len(lines) > 0 {
			prefix = "=> "
		}
		lines = append(lines, prefix+firstNonEmpty(node, "?")+": "+strings.Join(cur, " -> "))
		cur = nil
	}
	for _, h := range hops {
		if h.Node != node {
			flush()
			node = h.Node
		}
		cur = append(cur, firstNonEmpty(h.Name, h.Ifname))
	}
	flush()
	return lines
}

// writeHopTable lists the hops with their MTU, the probes and answers seen
// there, and their addresses (a VXLAN hop: VNI, local -> remote VTEP).
func writeHopTable(b *strings.Builder, tr *v1alpha1.TraceResult) error {
	req, rep := seenCounts(tr)
	tw := tabwriter.NewWriter(b, 6, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "    HOP\tMTU\tPROBES\tANSWERS\tADDRESSES")
	for _, h := range tr.Hops {
		label := firstNonEmpty(h.Label, h.Node+"/"+h.Name)
		if h.Ifname != "" && !strings.HasSuffix(label, "/"+h.Ifname) {
			label += " (" + h.Ifname + ")"
		}
		mtu := "-"
		if h.MTU > 0 {
			mtu = fmt.Sprint(h.MTU)
		}
		addrs := strings.Join(h.Addrs, ",")
		if vx := h.VXLAN; vx != nil {
			addrs = strings.TrimPrefix(fmt.Sprintf("%s vni %d %s", addrs, vx.VNI, firstNonEmpty(vx.Local, "?")), " ")
			if vx.RemoteVTEP != "" {
				addrs += "->" + vx.RemoteVTEP
			}
		}
		seen := fmt.Sprintf("%d/%d", req[h.Label], len(tr.Probes))
		answers := fmt.Sprint(rep[h.Label])
		if h.LinkType == "" || h.Error != "" {
			seen, answers = "not captured", "-"
			addrs = strings.TrimSpace(addrs + " (" + oneLine(firstNonEmpty(h.Error, "?")) + ")")
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", ellipsize(label, 38), mtu, seen, answers, ellipsize(firstNonEmpty(addrs, "-"), 46))
	}
	return tw.Flush()
}

// seenCounts counts, per hop label, the probes whose request and whose
// answer were seen there.
func seenCounts(tr *v1alpha1.TraceResult) (req, rep map[string]int) {
	req, rep = map[string]int{}, map[string]int{}
	for _, p := range tr.Probes {
		r, a := map[string]bool{}, map[string]bool{}
		for _, s := range p.Seen {
			if s.Dir == v1alpha1.TraceDirReply {
				a[s.Hop] = true
			} else {
				r[s.Hop] = true
			}
		}
		for h := range r {
			req[h]++
		}
		for h := range a {
			rep[h]++
		}
	}
	return req, rep
}

// probeLines says where the probes went, one line per distinct fate: probes
// that fared alike (the usual case) share a line listing their tags (TCP
// source ports, or the echo id and sequence numbers).
func probeLines(tr *v1alpha1.TraceResult) []string {
	var fates []string
	tags := map[string][]string{}
	kind := "sport "
	for _, p := range tr.Probes {
		fate := probeFate(tr, p)
		if _, ok := tags[fate]; !ok {
			fates = append(fates, fate)
		}
		tag := p.Tag
		switch {
		case p.SrcPort != 0:
			tag = fmt.Sprint(p.SrcPort)
		case p.ICMPSeq != 0:
			tag, kind = fmt.Sprint(p.ICMPSeq), fmt.Sprintf("echo id %#04x seq ", p.ICMPID)
		}
		tags[fate] = append(tags[fate], tag)
	}
	out := make([]string, 0, len(fates))
	for _, fate := range fates {
		who := kind + strings.Join(tags[fate], ", ")
		if len(tags[fate]) > 1 {
			who = fmt.Sprintf("%d probes (%s)", len(tags[fate]), who)
		}
		out = append(out, who+": "+fate)
	}
	return out
}

// probeFate says where one probe went: what answered and where it was first
// seen, or the last hop the request reached and the hop it never reached.
func probeFate(tr *v1alpha1.TraceResult, p v1alpha1.TraceProbe) string {
	var line string
	switch {
	case p.Reply != nil:
		line = fmt.Sprintf("%s from %s, first seen at %s", p.Reply.What, p.Reply.Src, p.Reply.FirstHop)
		if p.Reply.Origin != "" {
			line += " (" + p.Reply.Origin + ")"
		}
		if p.LastHop != "" {
			line += "; request last seen at " + p.LastHop
		}
	case p.LastHop == "":
		line = "seen on no hop"
	default:
		line = "no answer; request last seen at " + p.LastHop
		if next := hopAfter(tr.Hops, p.LastHop); next != "" {
			line += ", never at " + next
		}
	}
	if p.Outcome != "" {
		line += " [sender: " + p.Outcome + "]"
	}
	if len(p.NAT) > 0 {
		line += "; " + strings.Join(p.NAT, "; ")
	}
	return line
}

// hopAfter is the captured hop following label in request order.
func hopAfter(hops []v1alpha1.TraceHopInfo, label string) string {
	for i, h := range hops {
		if h.Label != label {
			continue
		}
		for _, n := range hops[i+1:] {
			if n.LinkType != "" && n.Error == "" {
				return n.Label
			}
		}
	}
	return ""
}
