package capture

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// HopRef names a captured hop; Frame.Iface indexes the hop list, which is in
// the order the request crosses the hops.
type HopRef struct {
	Label string
	Node  string
}

// Probe is one tagged probe as the sender knows it.
type Probe struct {
	Proto bpf.Proto
	// Src is the sender's address; zero when unknown.
	Src netip.Addr
	// SrcPort tags a TCP probe: the port its connect was bound to.
	SrcPort uint16
	// ICMPID and ICMPSeq tag an echo; Marker, when set, is a payload substring
	// that survives NAT rewriting the echo id.
	ICMPID, ICMPSeq uint16
	Marker          []byte
	// Outcome is what the sender saw (copied to the result).
	Outcome string
}

// Reply kinds, in the order one is preferred when a probe got several.
const (
	ReplySYNACK    = "syn-ack"
	ReplyEchoReply = "echo-reply"
	ReplyRST       = "rst"
	ReplyICMPError = "icmp-error"
)

// Correlate finds every probe's packets among frames (all hops, ordered by time)
// and reports, per probe and direction, the hops where it was seen, the last hop
// the request reached and what came back from where.
//
// TCP probes are matched by their tag, not their addresses, so they are followed
// through DNAT and SNAT: the SYN is first found by its source port, its initial
// sequence number (ISN) then identifies it on every hop (NAT keeps sequence
// numbers), and the answer is the SYN-ACK or RST acknowledging ISN+1, or an ICMP
// error quoting ISN.
func Correlate(frames []Frame, hops []HopRef, probes []Probe) []v1alpha1.TraceProbe {
	out := make([]v1alpha1.TraceProbe, 0, len(probes))
	for _, p := range probes {
		var m matched
		switch p.Proto {
		case bpf.ProtoTCP:
			m = matchTCP(frames, p)
		case bpf.ProtoICMP:
			m = matchICMP(frames, p)
		}
		out = append(out, m.report(hops, p))
	}
	return out
}

// matched holds one probe's frames.
type matched struct {
	tag      string
	isn      uint32
	requests []Frame
	replies  map[string][]Frame // by reply kind
}

func matchTCP(frames []Frame, p Probe) matched {
	m := matched{tag: fmt.Sprintf("tcp sport %d", p.SrcPort), replies: map[string][]Frame{}}
	first := -1
	for i, f := range frames {
		if isSYN(f) && f.SrcPort == p.SrcPort && (!p.Src.IsValid() || f.Src == p.Src) &&
			(first < 0 || f.Iface < frames[first].Iface) {
			first = i
		}
	}
	if first < 0 {
		m.tag += " (never seen)"
		return m
	}
	m.isn = frames[first].Seq
	m.tag += fmt.Sprintf(" isn %#08x", m.isn)
	for _, f := range frames {
		switch {
		case isSYN(f) && f.Seq == m.isn:
			m.requests = append(m.requests, f)
		case f.Proto == bpf.ProtoTCP && f.Flags&(FlagSYN|FlagACK) == FlagSYN|FlagACK && f.Ack == m.isn+1:
			m.replies[ReplySYNACK] = append(m.replies[ReplySYNACK], f)
		case f.Proto == bpf.ProtoTCP && f.Flags&FlagRST != 0 && f.Flags&FlagACK != 0 && f.Ack == m.isn+1:
			m.replies[ReplyRST] = append(m.replies[ReplyRST], f)
		case f.HasQuote && f.Quote.Proto == bpf.ProtoTCP && f.Quote.Seq == m.isn:
			m.replies[ReplyICMPError] = append(m.replies[ReplyICMPError], f)
		}
	}
	return m
}

func isSYN(f Frame) bool {
	return f.Proto == bpf.ProtoTCP && f.Flags&(FlagSYN|FlagACK|FlagRST) == FlagSYN
}

func matchICMP(frames []Frame, p Probe) matched {
	m := matched{tag: fmt.Sprintf("icmp id %#04x seq %d", p.ICMPID, p.ICMPSeq), replies: map[string][]Frame{}}
	isOurs := func(f Frame) bool {
		return (f.ICMPID == p.ICMPID && f.ICMPSeq == p.ICMPSeq) || (len(p.Marker) > 0 && bytes.Contains(f.Payload, p.Marker))
	}
	for _, f := range frames {
		if f.Proto != bpf.ProtoICMP {
			continue
		}
		switch {
		case f.ICMPType == 8 && isOurs(f):
			m.requests = append(m.requests, f)
		case f.ICMPType == 0 && isOurs(f):
			m.replies[ReplyEchoReply] = append(m.replies[ReplyEchoReply], f)
		case f.HasQuote && f.Quote.Proto == bpf.ProtoICMP && f.Quote.ICMPType == 8 &&
			f.Quote.ICMPID == p.ICMPID && f.Quote.ICMPSeq == p.ICMPSeq:
			m.replies[ReplyICMPError] = append(m.replies[ReplyICMPError], f)
		}
	}
	return m
}

// report turns the matched frames into the wire form.
func (m matched) report(hops []HopRef, p Probe) v1alpha1.TraceProbe {
	tp := v1alpha1.TraceProbe{Tag: m.tag, Outcome: p.Outcome, ISN: m.isn}
	if p.Proto == bpf.ProtoTCP {
		tp.SrcPort = int(p.SrcPort)
	} else {
		tp.ICMPID, tp.ICMPSeq = int(p.ICMPID), int(p.ICMPSeq)
	}
	req := firstPerHop(m.requests)
	for _, f := range req {
		tp.Seen = append(tp.Seen, sighting(f.frame, f.count, hops, v1alpha1.TraceDirRequest))
	}
	if len(req) > 0 {
		tp.LastHop = label(hops, req[len(req)-1].frame.Iface)
		tp.NAT = natNotes(req, hops)
	}
	kind, replies := m.pickReply()
	if kind == "" {
		return tp
	}
	rep := firstPerHop(replies)
	slices.Reverse(rep) // replies travel back: furthest hop first
	for _, f := range rep {
		tp.Seen = append(tp.Seen, sighting(f.frame, f.count, hops, v1alpha1.TraceDirReply))
	}
	reqLast := -1
	if len(req) > 0 {
		reqLast = req[len(req)-1].frame.Iface
	}
	tp.Reply = describeReply(kind, rep[0].frame, rep[len(rep)-1].frame, hops, reqLast)
	return tp
}

// pickReply chooses the most telling answer when there are several kinds.
func (m matched) pickReply() (string, []Frame) {
	for _, k := range []string{ReplySYNACK, ReplyEchoReply, ReplyRST, ReplyICMPError} {
		if fs := m.replies[k]; len(fs) > 0 {
			return k, fs
		}
	}
	return "", nil
}

// seenAt is the first frame of a probe on one hop and how many copies there were.
type seenAt struct {
	frame Frame
	count int
}

// firstPerHop keeps the earliest frame per hop (retransmissions are counted),
// ordered by hop.
func firstPerHop(frames []Frame) []seenAt {
	byHop := map[int]*seenAt{}
	var out []seenAt
	for _, f := range frames {
		if s, ok := byHop[f.Iface]; ok {
			s.count++
			if f.Time.Before(s.frame.Time) {
				s.frame = f
			}
			continue
		}
		byHop[f.Iface] = &seenAt{frame: f, count: 1}
	}
	for _, s := range byHop {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b seenAt) int { return cmp.Compare(a.frame.Iface, b.frame.Iface) })
	return out
}

func sighting(f Frame, count int, hops []HopRef, dir string) v1alpha1.TraceSighting {
	s := v1alpha1.TraceSighting{Hop: label(hops, f.Iface), HopIndex: f.Iface, Dir: dir, Time: f.Time.UTC(),
		Src: endpoint(f.Src, f.SrcPort, f.Proto), Dst: endpoint(f.Dst, f.DstPort, f.Proto), TTL: int(f.TTL),
		What: What(f), Count: count}
	if f.HasMAC {
		s.SrcMAC, s.DstMAC = macString(f.SrcMAC), macString(f.DstMAC)
	}
	if f.Encapsulated {
		s.OuterSrc, s.OuterDst, s.VNI = f.OuterSrc.String(), f.OuterDst.String(), int(f.VNI)
	}
	return s
}

// natNotes reports where the request's addresses changed between hops.
func natNotes(req []seenAt, hops []HopRef) []string {
	var notes []string
	for i := 1; i < len(req); i++ {
		a, b := req[i-1].frame, req[i].frame
		where := fmt.Sprintf("between %s and %s", label(hops, a.Iface), label(hops, b.Iface))
		if a.Dst != b.Dst || a.DstPort != b.DstPort {
			notes = append(notes, fmt.Sprintf("DNAT %s -> %s %s", endpoint(a.Dst, a.DstPort, a.Proto), endpoint(b.Dst, b.DstPort, b.Proto), where))
		}
		if a.Src != b.Src || a.SrcPort != b.SrcPort {
			notes = append(notes, fmt.Sprintf("SNAT %s -> %s %s", endpoint(a.Src, a.SrcPort, a.Proto), endpoint(b.Src, b.SrcPort, b.Proto), where))
		}
	}
	return notes
}

// What names a packet: "SYN", "SYN-ACK", "RST-ACK", "echo-request",
// "icmp dest-unreachable/port", ...
func What(f Frame) string {
	switch f.Proto {
	case bpf.ProtoTCP:
		var parts []string
		for _, fl := range []struct {
			bit  uint8
			name string
		}{{FlagSYN, "SYN"}, {FlagFIN, "FIN"}, {FlagRST, "RST"}, {FlagPSH, "PSH"}, {FlagACK, "ACK"}} {
			if f.Flags&fl.bit != 0 {
				parts = append(parts, fl.name)
			}
		}
		return strings.Join(parts, "-")
	case bpf.ProtoICMP:
		return icmpName(f.ICMPType, f.ICMPCode)
	}
	return fmt.Sprintf("proto %d", f.Proto)
}

func icmpName(typ, code uint8) string {
	switch typ {
	case 0:
		return "echo-reply"
	case 8:
		return "echo-request"
	case 3:
		names := map[uint8]string{0: "net", 1: "host", 2: "protocol", 3: "port", 4: "frag-needed", 9: "net-prohibited",
			10: "host-prohibited", 13: "admin-prohibited"}
		if n, ok := names[code]; ok {
			return "icmp dest-unreachable/" + n
		}
		return fmt.Sprintf("icmp dest-unreachable/%d", code)
	case 11:
		return "icmp time-exceeded"
	}
	return fmt.Sprintf("icmp type %d code %d", typ, code)
}

func endpoint(a netip.Addr, port uint16, proto bpf.Proto) string {
	if proto == bpf.ProtoTCP || proto == bpf.ProtoUDP {
		return netip.AddrPortFrom(a, port).String()
	}
	return a.String()
}

func label(hops []HopRef, i int) string {
	if i >= 0 && i < len(hops) {
		return hops[i].Label
	}
	return fmt.Sprintf("hop %d", i)
}

func macString(m [6]byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}
