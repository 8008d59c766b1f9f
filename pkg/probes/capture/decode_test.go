package capture

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	bt "github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf/bpftest"
)

func pkt(data []byte) Packet {
	return Packet{Iface: 2, Info: gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(data), Length: len(data)}, Data: data}
}

func mustDecode(t *testing.T, data []byte, link bpf.Link) Frame {
	t.Helper()
	f, ok := NewDecoder(0).Decode(pkt(data), link)
	if !ok {
		t.Fatalf("not decoded: % x", data)
	}
	return f
}

var (
	podA = netip.MustParseAddr("10.0.1.5")
	podB = netip.MustParseAddr("10.0.2.7")
)

func TestDecodeTCP(t *testing.T) {
	syn := bt.TCP(t, "10.0.1.5", "10.0.2.7", 61000, 8080, func(ip *layers.IPv4, _ *layers.TCP) { ip.TTL = 63 })
	for _, link := range []bpf.Link{bpf.LinkEthernet, bpf.LinkIP} {
		data := syn
		if link == bpf.LinkIP {
			data = bt.StripL2(syn)
		}
		f := mustDecode(t, data, link)
		if f.Iface != 2 || f.Src != podA || f.Dst != podB || f.SrcPort != 61000 || f.DstPort != 8080 || f.TTL != 63 ||
			f.Seq != bt.ISN || f.Flags != FlagSYN || f.Proto != bpf.ProtoTCP || f.Encapsulated || f.HasMAC != (link == bpf.LinkEthernet) {
			t.Errorf("%s: %+v", link, f)
		}
		if What(f) != "SYN" {
			t.Errorf("What = %q", What(f))
		}
	}
}

func TestDecodeVXLAN(t *testing.T) {
	rst := bt.TCP(t, "10.0.2.7", "10.0.1.5", 8080, 61000, func(_ *layers.IPv4, tcp *layers.TCP) {
		tcp.SYN, tcp.RST, tcp.ACK, tcp.Seq, tcp.Ack = false, true, true, 0, bt.ISN+1
	})
	f := mustDecode(t, bt.VXLAN(t, rst, "192.0.2.2", "192.0.2.1", bpf.DefaultVXLANPort), bpf.LinkEthernet)
	if !f.Encapsulated || f.OuterSrc != netip.MustParseAddr("192.0.2.2") || f.OuterDst != netip.MustParseAddr("192.0.2.1") || f.VNI != 1 {
		t.Errorf("outer: %+v", f)
	}
	if f.Src != podB || f.Dst != podA || f.Ack != bt.ISN+1 || What(f) != "RST-ACK" || macString(f.SrcMAC) != bt.MACA.String() {
		t.Errorf("inner: %+v (%s)", f, What(f))
	}
	// Another UDP port is plain UDP, not VXLAN: nothing a trace decodes.
	if _, ok := NewDecoder(0).Decode(pkt(bt.VXLAN(t, rst, "192.0.2.2", "192.0.2.1", 4789)), bpf.LinkEthernet); ok {
		t.Error("VXLAN on 4789 decoded with the decoder set to 8472")
	}
	if f, ok := NewDecoder(4789).Decode(pkt(bt.VXLAN(t, rst, "192.0.2.2", "192.0.2.1", 4789)), bpf.LinkEthernet); !ok || !f.Encapsulated {
		t.Errorf("VXLAN on 4789 with the decoder set to 4789: ok=%v %+v", ok, f)
	}
}

func TestDecodeICMP(t *testing.T) {
	echo := mustDecode(t, bt.ICMP(t, "10.0.1.5", "10.0.2.7", 8, 0, []byte("netcheck-trace 7")), bpf.LinkEthernet)
	if What(echo) != "echo-request" || echo.ICMPID != 0x4e21 || echo.ICMPSeq != 1 || string(echo.Payload) != "netcheck-trace 7" || echo.HasQuote {
		t.Errorf("echo: %+v", echo)
	}
	quote := bt.L3(bt.TCP(t, "10.0.1.5", "10.0.2.7", 61000, 8080))[:28]
	unreach := mustDecode(t, bt.ICMP(t, "10.0.2.1", "10.0.1.5", 3, 3, quote), bpf.LinkEthernet)
	q := unreach.Quote
	if !unreach.HasQuote || q.Proto != bpf.ProtoTCP || q.Src != podA || q.Dst != podB || q.SrcPort != 61000 || q.DstPort != 8080 || q.Seq != bt.ISN {
		t.Errorf("quote: %+v", unreach)
	}
	if What(unreach) != "icmp dest-unreachable/port" {
		t.Errorf("What = %q", What(unreach))
	}
	echoQuote := bt.L3(bt.ICMP(t, "10.0.1.5", "10.0.2.7", 8, 0, nil))[:28]
	ttl := mustDecode(t, bt.ICMP(t, "10.0.2.1", "10.0.1.5", 11, 0, echoQuote), bpf.LinkEthernet)
	if !ttl.HasQuote || ttl.Quote.Proto != bpf.ProtoICMP || ttl.Quote.ICMPType != 8 || ttl.Quote.ICMPID != 0x4e21 || ttl.Quote.ICMPSeq != 1 {
		t.Errorf("time-exceeded quote: %+v", ttl.Quote)
	}
	if short := mustDecode(t, bt.ICMP(t, "10.0.2.1", "10.0.1.5", 3, 1, quote[:20]), bpf.LinkEthernet); short.HasQuote {
		t.Errorf("a quote without its 8 transport bytes was parsed: %+v", short.Quote)
	}
}

func TestDecodeSkipsOtherPackets(t *testing.T) {
	syn := bt.TCP(t, "10.0.1.5", "10.0.2.7", 61000, 8080)
	for name, data := range map[string][]byte{
		"ARP":                 bt.ARP(t),
		"IPv6":                bt.IPv6TCP(t),
		"UDP":                 bt.UDP(t, "10.0.1.5", "10.0.2.7", 5000, 53, nil),
		"truncated TCP":       syn[:40],
		"VXLAN carrying ARP":  bt.VXLAN(t, bt.ARP(t), "192.0.2.1", "192.0.2.2", bpf.DefaultVXLANPort),
		"VXLAN carrying IPv6": bt.VXLAN(t, bt.IPv6TCP(t), "192.0.2.1", "192.0.2.2", bpf.DefaultVXLANPort),
	} {
		if f, ok := NewDecoder(0).Decode(pkt(data), bpf.LinkEthernet); ok {
			t.Errorf("%s decoded: %+v", name, f)
		}
	}
}

// Decoding is on the capture's hot path: it must not allocate per packet.
func TestDecodeDoesNotAllocate(t *testing.T) {
	d := NewDecoder(0)
	p := pkt(bt.VXLAN(t, bt.TCP(t, "10.0.1.5", "10.0.2.7", 61000, 8080), "192.0.2.1", "192.0.2.2", bpf.DefaultVXLANPort))
	if n := testing.AllocsPerRun(100, func() { d.Decode(p, bpf.LinkEthernet) }); n != 0 {
		t.Fatalf("%v allocations per decode", n)
	}
}
