package capture

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// The ten hops of a two-node flannel path, in request order.
var tenHops = []HopRef{
	{"nodeA/pod eth0", "nodeA"}, {"nodeA/vethA", "nodeA"}, {"nodeA/cni0", "nodeA"}, {"nodeA/flannel.1", "nodeA"}, {"nodeA/eth0", "nodeA"},
	{"nodeB/eth0", "nodeB"}, {"nodeB/flannel.1", "nodeB"}, {"nodeB/cni0", "nodeB"}, {"nodeB/vethB", "nodeB"}, {"nodeB/pod eth0", "nodeB"},
}

// requestTTL is the SYN's TTL on each hop: routed once on nodeA (cni0 -> flannel.1)
// and once on nodeB (flannel.1 -> cni0).
var requestTTL = []uint8{64, 64, 64, 63, 63, 63, 63, 62, 62, 62}

var t0 = time.Unix(1700000000, 0)

const isn = 0x11223344

func syn(hop int) Frame {
	f := Frame{Iface: hop, Time: t0.Add(time.Duration(hop) * time.Microsecond), Proto: bpf.ProtoTCP, Src: podA, Dst: podB,
		SrcPort: 61000, DstPort: 8080, Seq: isn, Flags: FlagSYN, TTL: requestTTL[hop]}
	if hop == 4 || hop == 5 {
		f.Encapsulated, f.OuterSrc, f.OuterDst, f.VNI = true, netip.MustParseAddr("10.250.0.1"), netip.MustParseAddr("10.250.0.2"), 1
	}
	return f
}

// answer is a reply from podB (flags) put on the wire at hop from with TTL ttl
// and seen back to hop 0; nodeB routes it between cni0 and flannel.1, nodeA
// between flannel.1 and cni0.
func answer(from int, ttl uint8, flags uint8) []Frame {
	var out []Frame
	for hop := from; hop >= 0; hop-- {
		if hop < from && (hop == 6 || hop == 2) {
			ttl--
		}
		out = append(out, Frame{Iface: hop, Time: t0.Add(time.Millisecond + time.Duration(from-hop)*time.Microsecond),
			Proto: bpf.ProtoTCP, Src: podB, Dst: podA, SrcPort: 8080, DstPort: 61000, Seq: 0x55, Ack: isn + 1, Flags: flags, TTL: ttl})
	}
	return out
}

func tcpProbe() Probe {
	return Probe{Proto: bpf.ProtoTCP, Src: podA, SrcPort: 61000, Outcome: "ok"}
}

func correlateOne(t *testing.T, frames []Frame, p Probe) v1alpha1.TraceProbe {
	t.Helper()
	got := Correlate(frames, tenHops, []Probe{p})
	if len(got) != 1 {
		t.Fatalf("%d probes", len(got))
	}
	return got[0]
}

func seenOn(p v1alpha1.TraceProbe, dir string) []int {
	var hops []int
	for _, s := range p.Seen {
		if s.Dir == dir {
			hops = append(hops, s.HopIndex)
		}
	}
	return hops
}

func TestCorrelateHandshakeAcrossTwoNodes(t *testing.T) {
	var frames []Frame
	for hop := range 10 {
		frames = append(frames, syn(hop))
	}
	frames = append(frames, syn(0)) // a retransmission, seen once more on the first hop
	frames = append(frames, answer(9, 64, FlagSYN|FlagACK)...)
	got := correlateOne(t, frames, tcpProbe())

	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !equal(seenOn(got, v1alpha1.TraceDirRequest), want) {
		t.Errorf("request seen on %v, want %v", seenOn(got, v1alpha1.TraceDirRequest), want)
	}
	if want := []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}; !equal(seenOn(got, v1alpha1.TraceDirReply), want) {
		t.Errorf("reply seen on %v, want %v (travel order)", seenOn(got, v1alpha1.TraceDirReply), want)
	}
	if got.LastHop != "nodeB/pod eth0" || got.ISN != isn || !strings.Contains(got.Tag, "sport 61000") {
		t.Errorf("last hop %q isn %#x tag %q", got.LastHop, got.ISN, got.Tag)
	}
	if got.Seen[0].Count != 2 || got.Seen[0].What != "SYN" || got.Seen[0].Src != "10.0.1.5:61000" {
		t.Errorf("first sighting %+v", got.Seen[0])
	}
	if s := got.Seen[4]; s.OuterSrc != "10.250.0.1" || s.OuterDst != "10.250.0.2" || s.VNI != 1 {
		t.Errorf("underlay sighting lacks the VTEPs: %+v", s)
	}
	r := got.Reply
	if r == nil || r.Kind != ReplySYNACK || r.FirstHop != "nodeB/pod eth0" || r.LastHop != "nodeA/pod eth0" || r.TTL != 64 || r.RoutedBefore != 0 {
		t.Fatalf("reply %+v", r)
	}
	if !strings.Contains(r.Origin, "far end") {
		t.Errorf("origin %q", r.Origin)
	}
	if len(got.NAT) != 0 {
		t.Errorf("NAT notes on an unNATed path: %v", got.NAT)
	}
}

// An iptables REJECT on nodeB: the SYN stops at nodeB's flannel.1, and the RST
// carrying podB's address leaves nodeB's flannel.1 with TTL 64.
func TestCorrelateRejectOnNodeB(t *testing.T) {
	var frames []Frame
	for hop := range 7 {
		frames = append(frames, syn(hop))
	}
	frames = append(frames, answer(6, 64, FlagRST|FlagACK)...)
	got := correlateOne(t, frames, tcpProbe())
	r := got.Reply
	if got.LastHop != "nodeB/flannel.1" || r == nil || r.Kind != ReplyRST || r.FirstHop != "nodeB/flannel.1" || r.RoutedBefore != 0 {
		t.Fatalf("last hop %q reply %+v", got.LastHop, r)
	}
	if r.Src != "10.0.2.7:8080" || !strings.Contains(r.Origin, "nodeB") || !strings.Contains(r.Origin, "not by 10.0.2.7") {
		t.Errorf("reply src %s origin %q", r.Src, r.Origin)
	}
}

func TestCorrelateFollowsDNATAndSNAT(t *testing.T) {
	clusterIP := netip.MustParseAddr("10.96.0.10")
	node := netip.MustParseAddr("10.250.0.1")
	var frames []Frame
	for hop := range 6 {
		f := syn(hop)
		if hop < 2 {
			f.Dst, f.DstPort = clusterIP, 80 // before kube-proxy's DNAT
		}
		if hop >= 4 {
			f.Src, f.SrcPort = node, 33001 // MASQUERADE, port remapped too: the ISN still matches
		}
		frames = append(frames, f)
	}
	other := syn(3)
	other.Seq, other.SrcPort = 0x99, 61001 // another probe's SYN
	frames = append(frames, other)
	got := correlateOne(t, frames, tcpProbe())
	if want := []int{0, 1, 2, 3, 4, 5}; !equal(seenOn(got, v1alpha1.TraceDirRequest), want) {
		t.Fatalf("seen on %v", seenOn(got, v1alpha1.TraceDirRequest))
	}
	want := []string{
		"DNAT 10.96.0.10:80 -> 10.0.2.7:8080 between nodeA/vethA and nodeA/cni0",
		"SNAT 10.0.1.5:61000 -> 10.250.0.1:33001 between nodeA/flannel.1 and nodeA/eth0",
	}
	if !equal(got.NAT, want) {
		t.Errorf("NAT %q, want %q", got.NAT, want)
	}
	if got.Reply != nil {
		t.Errorf("reply %+v from nothing", got.Reply)
	}
}

func TestCorrelateICMPErrorAboutTCP(t *testing.T) {
	frames := []Frame{syn(0), syn(1), syn(2),
		{Iface: 2, Time: t0.Add(time.Millisecond), Proto: bpf.ProtoICMP, Src: netip.MustParseAddr("10.0.1.1"), Dst: podA, TTL: 64,
			ICMPType: 3, ICMPCode: 1, HasQuote: true, Quote: Quote{Proto: bpf.ProtoTCP, Src: podA, Dst: podB, SrcPort: 61000, DstPort: 8080, Seq: isn}},
		{Iface: 0, Time: t0.Add(2 * time.Millisecond), Proto: bpf.ProtoICMP, Src: netip.MustParseAddr("10.0.1.1"), Dst: podA, TTL: 64,
			ICMPType: 3, ICMPCode: 1, HasQuote: true, Quote: Quote{Proto: bpf.ProtoTCP, Src: podA, Dst: podB, SrcPort: 61000, DstPort: 8080, Seq: isn}},
	}
	got := correlateOne(t, frames, tcpProbe())
	r := got.Reply
	if r == nil || r.Kind != ReplyICMPError || r.What != "icmp dest-unreachable/host" || r.Src != "10.0.1.1" || r.FirstHop != "nodeA/cni0" {
		t.Fatalf("reply %+v", r)
	}
	if !strings.Contains(r.Origin, "nodeA") {
		t.Errorf("origin %q", r.Origin)
	}
}

func TestCorrelateProbeNeverSeen(t *testing.T) {
	got := correlateOne(t, []Frame{syn(0)}, Probe{Proto: bpf.ProtoTCP, Src: podA, SrcPort: 61005, Outcome: "timeout"})
	if len(got.Seen) != 0 || got.LastHop != "" || got.Reply != nil || !strings.Contains(got.Tag, "never seen") || got.Outcome != "timeout" {
		t.Fatalf("%+v", got)
	}
}

// Echo requests are matched by id and seq, or by their payload marker when NAT
// rewrote the id.
func TestCorrelateEcho(t *testing.T) {
	marker := []byte("netcheck-trace 4e21-1")
	req := func(hop int, id uint16) Frame {
		return Frame{Iface: hop, Time: t0.Add(time.Duration(hop)), Proto: bpf.ProtoICMP, Src: podA, Dst: podB, TTL: requestTTL[hop],
			ICMPType: 8, ICMPID: id, ICMPSeq: 1, Payload: append([]byte("xx"), marker...)}
	}
	frames := []Frame{req(0, 0x4e21), req(4, 0x0777), req(9, 0x0777),
		{Iface: 9, Time: t0.Add(time.Millisecond), Proto: bpf.ProtoICMP, Src: podB, Dst: podA, TTL: 64, ICMPType: 0, ICMPID: 0x0777, ICMPSeq: 1, Payload: marker},
		{Iface: 0, Time: t0.Add(2 * time.Millisecond), Proto: bpf.ProtoICMP, Src: podB, Dst: podA, TTL: 62, ICMPType: 0, ICMPID: 0x4e21, ICMPSeq: 1, Payload: marker},
		{Iface: 0, Time: t0.Add(3 * time.Millisecond), Proto: bpf.ProtoICMP, Src: podB, Dst: podA, TTL: 62, ICMPType: 0, ICMPID: 0x4e21, ICMPSeq: 2},
	}
	got := correlateOne(t, frames, Probe{Proto: bpf.ProtoICMP, Src: podA, ICMPID: 0x4e21, ICMPSeq: 1, Marker: marker, Outcome: "reply"})
	if !equal(seenOn(got, v1alpha1.TraceDirRequest), []int{0, 4, 9}) || !equal(seenOn(got, v1alpha1.TraceDirReply), []int{9, 0}) {
		t.Fatalf("seen %+v", got.Seen)
	}
	if got.Reply == nil || got.Reply.Kind != ReplyEchoReply || got.Reply.FirstHop != "nodeB/pod eth0" || got.ICMPID != 0x4e21 {
		t.Fatalf("reply %+v", got.Reply)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
