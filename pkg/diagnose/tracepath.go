package diagnose

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Trace reply kinds (pkg/probes/capture): the normal answers and the others.
const (
	replySYNACK    = "syn-ack"
	replyEchoReply = "echo-reply"
	replyRST       = "rst"
	replyICMPError = "icmp-error"
)

// traceView is one trace result and what it says about where probes died.
type traceView struct {
	res *v1alpha1.CheckResult
	tr  *v1alpha1.TraceResult
}

// traceViews are the traces, TCP ones first: a rule that takes the first
// trace dying somewhere names the hop the connects died at, and an ICMP trace
// to the same pod then joins that finding instead of making its own.
func (ns *nodes) traceViews() []traceView {
	out := make([]traceView, 0, len(ns.traces))
	for _, r := range ns.traces {
		out = append(out, traceView{res: r, tr: r.Trace})
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].icmp() && out[j].icmp() })
	return out
}

// icmp: the trace followed echoes, not SYNs.
func (tv traceView) icmp() bool { return tv.tr.Proto == v1alpha1.TraceICMP }

// ip is the traced address without a port.
func (tv traceView) ip() string { return canonicalIP(tv.tr.Destination) }

// answered: the probe got the answer a working path gives.
func answered(p *v1alpha1.TraceProbe) bool {
	return p.Reply != nil && (p.Reply.Kind == replySYNACK || p.Reply.Kind == replyEchoReply)
}

// silent are the probes nothing answered.
func (tv traceView) silent() []*v1alpha1.TraceProbe {
	var out []*v1alpha1.TraceProbe
	for i := range tv.tr.Probes {
		if p := &tv.tr.Probes[i]; p.Reply == nil && !answered(p) {
			out = append(out, p)
		}
	}
	return out
}

// refusedBy are the probes answered with an RST or an ICMP error.
func (tv traceView) refused() []*v1alpha1.TraceProbe {
	var out []*v1alpha1.TraceProbe
	for i := range tv.tr.Probes {
		if p := &tv.tr.Probes[i]; p.Reply != nil && (p.Reply.Kind == replyRST || p.Reply.Kind == replyICMPError) {
			out = append(out, p)
		}
	}
	return out
}

func (tv traceView) hopIndex(label string) int {
	for i, h := range tv.tr.Hops {
		if h.Label == label {
			return i
		}
	}
	return -1
}

// death is where silent probes were last seen: the hop index most of them
// reached (-1: seen nowhere), and how many of the silent ones share it.
func (tv traceView) death() (hop, n, of int) {
	silent := tv.silent()
	if len(silent) == 0 {
		return -1, 0, 0
	}
	count := map[int]int{}
	for _, p := range silent {
		count[tv.hopIndex(p.LastHop)]++
	}
	best, bestN := -2, 0
	for h, c := range count {
		if c > bestN || (c == bestN && h > best) {
			best, bestN = h, c
		}
	}
	return best, bestN, len(silent)
}

// hopName is a hop's name within its node ("flannel.1", "pod eth0").
func (tv traceView) hopName(i int) string {
	h := tv.tr.Hops[i]
	return firstNonEmpty(h.Name, h.Ifname, h.Label)
}

func (tv traceView) hopNode(i int) string { return tv.tr.Hops[i].Node }

// gapAfter names where a packet last seen at hop i vanished: "node n2 between
// flannel.1 and cni0", "between node n1's nc-node2 and node n2's eth0".
func (tv traceView) gapAfter(i int) string {
	switch {
	case i < 0 && len(tv.tr.Hops) > 0:
		return fmt.Sprintf("before the first captured hop (%s): the probe left no trace", tv.tr.Hops[0].Label)
	case i < 0:
		return "nowhere: no hop was captured"
	case i == len(tv.tr.Hops)-1:
		return fmt.Sprintf("after %s, the last captured hop", tv.hopOnNode(i))
	}
	a, b := tv.hopNode(i), tv.hopNode(i+1)
	if a == b && a != "" {
		return fmt.Sprintf("node %s between %s and %s", a, tv.hopName(i), tv.hopName(i+1))
	}
	return fmt.Sprintf("between %s and %s", tv.hopOnNode(i), tv.hopOnNode(i+1))
}

// hopOnNode renders "node n2's flannel.1".
func (tv traceView) hopOnNode(i int) string {
	if n := tv.hopNode(i); n != "" {
		return fmt.Sprintf("node %s's %s", n, tv.hopName(i))
	}
	return tv.tr.Hops[i].Label
}

// dst is the traced "ip:port" (or ip for ICMP), comparable with TCP addresses.
func (tv traceView) dst() string {
	if tv.tr.Port > 0 {
		return normaliseAddr(hostPort(tv.tr.Destination, tv.tr.Port))
	}
	return tv.tr.Destination
}

// sightingsLine summarises where the probes of one fate were seen: "SYN
// 10.244.1.5 -> 10.244.0.5:8080 seen on n1/pod eth0, n1/cni0, n1/flannel.1,
// n2/eth0, n2/flannel.1; not on n2/cni0, n2/pod eth0 (3 of 3 probes)".
func (tv traceView) sightingsLine(last, n, of int) string {
	var seen, unseen []string
	for i, h := range tv.tr.Hops {
		if i <= last {
			seen = append(seen, h.Label)
		} else {
			unseen = append(unseen, h.Label)
		}
	}
	what := "probe"
	switch tv.tr.Proto {
	case v1alpha1.TraceTCP, "":
		what = "SYN"
	case v1alpha1.TraceICMP:
		what = "echo"
	}
	line := fmt.Sprintf("%s %s -> %s", what, firstNonEmpty(tv.tr.Source, "?"), tv.dst())
	if len(seen) > 0 {
		line += " seen on " + strings.Join(seen, ", ")
	} else {
		line += " seen on no hop"
	}
	if len(unseen) > 0 {
		line += "; not on " + strings.Join(unseen, ", ")
	}
	line += fmt.Sprintf(" (%d of %d unanswered probes)", n, of)
	if tv.icmp() {
		// Often the second trace of a finding: say where it died, to compare
		// with the hop the finding names.
		line += ": died " + withOn(tv.gapAfter(last))
	}
	return line
}

// mtuTable renders the hop MTU table: "hop MTUs: n1/pod eth0 1500, n1/cni0 1500, ...".
func (tv traceView) mtuTable() string {
	parts := make([]string, 0, len(tv.tr.Hops))
	for _, h := range tv.tr.Hops {
		if h.MTU > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", h.Label, h.MTU))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "hop MTUs: " + strings.Join(parts, ", ")
}

// srcSeen returns the source address the request carried at each hop index,
// in hop order (inner addresses for encapsulated sightings).
func (tv traceView) srcSeen() map[int]netip.Addr {
	out := map[int]netip.Addr{}
	for _, p := range tv.tr.Probes {
		for _, s := range p.Seen {
			if s.Dir != v1alpha1.TraceDirRequest {
				continue
			}
			if a := addrOf(s.Src); a.IsValid() {
				if _, ok := out[s.HopIndex]; !ok {
					out[s.HopIndex] = a
				}
			}
		}
	}
	return out
}

// snatHop finds the first hop where the request's source is no longer the
// sender's: the hop before it, that hop, and the address seen from then on.
func (tv traceView) snatHop() (before, at int, seen netip.Addr, ok bool) {
	src := addrOf(tv.tr.Source)
	if !src.IsValid() {
		return 0, 0, netip.Addr{}, false
	}
	bySrc := tv.srcSeen()
	idx := make([]int, 0, len(bySrc))
	for i := range bySrc {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	prev := -1
	for _, i := range idx {
		if bySrc[i] != src {
			return prev, i, bySrc[i], true
		}
		prev = i
	}
	return 0, 0, netip.Addr{}, false
}

// traceFor finds the trace to addr ("ip:port"), nil when none.
func (ns *nodes) traceFor(addr string) *traceView {
	for _, tv := range ns.traceViews() {
		if tv.dst() == normaliseAddr(addr) {
			return &tv
		}
	}
	return nil
}

// probeCount renders "3 probes".
func probeCount(n int) string { return plural(n, "probe", "probes") }

func itoa(n int) string { return strconv.Itoa(n) }

// silentNAT is the address translation the first unanswered probe went
// through ("DNAT 10.96.0.20:80 -> 10.244.1.5:8080 between ..."), "" when none.
func (tv traceView) silentNAT() string {
	for _, p := range tv.silent() {
		if len(p.NAT) > 0 {
			return strings.Join(p.NAT, "; ")
		}
	}
	return ""
}
