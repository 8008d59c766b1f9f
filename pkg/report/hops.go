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
		head := fmt.Sprintf("%s  %s  from %s: %s", res.ID, res.Target, firstNonEmpty(res.Vantage, "?"),
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
		for i, p := range tr.Probes {
			label := "  probes "
			if i > 0 {
				label = "         "
			}
			for _, w := range wrap(probeLine(tr, p), lineWidth, label, "           ") {
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

// writeHopTable lists the hops with their interface, MTU, addresses and the
// probes and answers seen there.
func writeHopTable(b *strings.Builder, tr *v1alpha1.TraceResult) error {
	req, rep := seenCounts(tr)
	tw := tabwriter.NewWriter(b, 6, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tHOP\tIF\tMTU\tADDRESSES\tPROBES\tANSWERS")
	for _, h := range tr.Hops {
		label := firstNonEmpty(h.Label, h.Node+"/"+h.Name)
		mtu := "-"
		if h.MTU > 0 {
			mtu = fmt.Sprint(h.MTU)
		}
		addrs := strings.Join(h.Addrs, ",")
		if h.VXLAN != nil {
			addrs = strings.TrimPrefix(addrs+fmt.Sprintf(" vxlan %d local %s", h.VXLAN.VNI, firstNonEmpty(h.VXLAN.Local, "?")), " ")
			if h.VXLAN.RemoteVTEP != "" {
				addrs += " -> " + h.VXLAN.RemoteVTEP
			}
		}
		seen := fmt.Sprintf("%d/%d", req[label], len(tr.Probes))
		answers := fmt.Sprint(rep[label])
		if h.LinkType == "" || h.Error != "" {
			seen, answers = "not captured: "+ellipsize(oneLine(firstNonEmpty(h.Error, "?")), 40), ""
		}
		fmt.Fprintf(tw, "  \t%s\t%s\t%s\t%s\t%s\t%s\n", ellipsize(label, 40), h.Ifname, mtu, ellipsize(firstNonEmpty(addrs, "-"), 44), seen, answers)
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

// probeLine says where one probe went: what answered and where it was first
// seen, or the last hop the request reached and the hop it never reached.
func probeLine(tr *v1alpha1.TraceResult, p v1alpha1.TraceProbe) string {
	tag := p.Tag
	if p.SrcPort != 0 {
		tag = fmt.Sprintf("sport %d", p.SrcPort)
	}
	line := tag + ": "
	switch {
	case p.Reply != nil:
		line += fmt.Sprintf("%s from %s, first seen at %s", p.Reply.What, p.Reply.Src, p.Reply.FirstHop)
		if p.Reply.Origin != "" {
			line += " (" + p.Reply.Origin + ")"
		}
		if p.LastHop != "" {
			line += "; request last seen at " + p.LastHop
		}
	case p.LastHop == "":
		line += "seen on no hop"
	default:
		line += "no answer; request last seen at " + p.LastHop
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
