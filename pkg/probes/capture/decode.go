package capture

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// TCP flag bits of Frame.Flags.
const (
	FlagFIN uint8 = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
)

// Frame is the decoded view of one captured packet: the (inner, when VXLAN) IPv4
// header and TCP or ICMP fields, plus the outer VXLAN addresses.
type Frame struct {
	Iface int
	Time  time.Time

	// Encapsulated: the packet was seen inside VXLAN; Outer* are the VTEPs.
	Encapsulated       bool
	OuterSrc, OuterDst netip.Addr
	VNI                uint32

	// HasMAC: the (inner) Ethernet header was captured.
	HasMAC         bool
	SrcMAC, DstMAC [6]byte

	Src, Dst netip.Addr
	TTL      uint8
	Proto    bpf.Proto

	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint8

	ICMPType, ICMPCode uint8
	ICMPID, ICMPSeq    uint16
	// Payload is the ICMP echo data (a view into the packet).
	Payload []byte
	// Quote is the packet an ICMP error quotes (HasQuote).
	HasQuote bool
	Quote    Quote
}

// Quote is the start of the packet an ICMP error is about: its IPv4 header and
// the first 8 bytes after it (ports and sequence for TCP, id and seq for echo).
type Quote struct {
	Src, Dst         netip.Addr
	Proto            bpf.Proto
	SrcPort, DstPort uint16
	Seq              uint32
	ICMPType         uint8
	ICMPID, ICMPSeq  uint16
}

// Decoder decodes packets without allocating: it reuses its layers. One per
// goroutine.
type Decoder struct {
	vxlanPort uint16

	// Outer layers and the parsers that start at Ethernet or at IPv4.
	eth           layers.Ethernet
	ip            layers.IPv4
	udp           layers.UDP
	tcp           layers.TCP
	icmp          layers.ICMPv4
	fromEth, from *gopacket.DecodingLayerParser

	// Inner layers of a VXLAN packet, parsed from the UDP payload.
	vx    layers.VXLAN
	ieth  layers.Ethernet
	iip   layers.IPv4
	itcp  layers.TCP
	iicmp layers.ICMPv4
	inner *gopacket.DecodingLayerParser

	decoded                []gopacket.LayerType
	outerTypes, innerTypes layerSet
}

// NewDecoder decodes VXLAN on vxlanPort (0 = bpf.DefaultVXLANPort).
func NewDecoder(vxlanPort uint16) *Decoder {
	if vxlanPort == 0 {
		vxlanPort = bpf.DefaultVXLANPort
	}
	d := &Decoder{vxlanPort: vxlanPort}
	d.fromEth = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &d.eth, &d.ip, &d.udp, &d.tcp, &d.icmp)
	d.from = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv4, &d.ip, &d.udp, &d.tcp, &d.icmp)
	d.inner = gopacket.NewDecodingLayerParser(layers.LayerTypeVXLAN, &d.vx, &d.ieth, &d.iip, &d.itcp, &d.iicmp)
	for _, p := range []*gopacket.DecodingLayerParser{d.fromEth, d.from, d.inner} {
		p.IgnoreUnsupported = true // stop quietly at payloads and other protocols
	}
	d.decoded = make([]gopacket.LayerType, 0, 8)
	return d
}

// layerSet records which layers one parse produced.
type layerSet struct{ eth, ip, udp, tcp, icmp, vxlan bool }

func (s *layerSet) set(types []gopacket.LayerType) {
	*s = layerSet{}
	for _, t := range types {
		switch t {
		case layers.LayerTypeEthernet:
			s.eth = true
		case layers.LayerTypeIPv4:
			s.ip = true
		case layers.LayerTypeUDP:
			s.udp = true
		case layers.LayerTypeTCP:
			s.tcp = true
		case layers.LayerTypeICMPv4:
			s.icmp = true
		case layers.LayerTypeVXLAN:
			s.vxlan = true
		}
	}
}

// Decode reads p, captured on a link of the given kind. ok is false for packets
// that are not IPv4 TCP/ICMP (plain or in VXLAN), or are truncated before their
// transport header.
func (d *Decoder) Decode(p Packet, link bpf.Link) (f Frame, ok bool) {
	f.Iface, f.Time = p.Iface, p.Info.Timestamp
	parser := d.fromEth
	if link == bpf.LinkIP {
		parser = d.from
	}
	_ = parser.DecodeLayers(p.Data, &d.decoded) // partial decodes are judged below
	d.outerTypes.set(d.decoded)
	if !d.outerTypes.ip {
		return f, false
	}
	if d.outerTypes.udp && uint16(d.udp.DstPort) == d.vxlanPort {
		return d.decodeInner(f)
	}
	if d.outerTypes.eth {
		f.HasMAC = true
		copy(f.SrcMAC[:], d.eth.SrcMAC)
		copy(f.DstMAC[:], d.eth.DstMAC)
	}
	return f, fillTransport(&f, &d.ip, &d.tcp, &d.icmp, d.outerTypes)
}

// decodeInner reads the frame inside a VXLAN packet.
func (d *Decoder) decodeInner(f Frame) (Frame, bool) {
	f.Encapsulated = true
	f.OuterSrc, _ = netip.AddrFromSlice(d.ip.SrcIP)
	f.OuterDst, _ = netip.AddrFromSlice(d.ip.DstIP)
	_ = d.inner.DecodeLayers(d.udp.Payload, &d.decoded)
	d.innerTypes.set(d.decoded)
	if !d.innerTypes.vxlan || !d.innerTypes.eth || !d.innerTypes.ip {
		return f, false
	}
	f.VNI = d.vx.VNI
	f.HasMAC = true
	copy(f.SrcMAC[:], d.ieth.SrcMAC)
	copy(f.DstMAC[:], d.ieth.DstMAC)
	return f, fillTransport(&f, &d.iip, &d.itcp, &d.iicmp, d.innerTypes)
}

// fillTransport copies the IPv4 and TCP/ICMP fields into f.
func fillTransport(f *Frame, ip *layers.IPv4, tcp *layers.TCP, icmp *layers.ICMPv4, got layerSet) bool {
	f.Src, _ = netip.AddrFromSlice(ip.SrcIP)
	f.Dst, _ = netip.AddrFromSlice(ip.DstIP)
	f.TTL = ip.TTL
	f.Proto = bpf.Proto(ip.Protocol)
	switch {
	case got.tcp:
		f.SrcPort, f.DstPort = uint16(tcp.SrcPort), uint16(tcp.DstPort)
		f.Seq, f.Ack = tcp.Seq, tcp.Ack
		f.Flags = tcpFlags(tcp)
		return true
	case got.icmp:
		f.ICMPType, f.ICMPCode = icmp.TypeCode.Type(), icmp.TypeCode.Code()
		f.ICMPID, f.ICMPSeq = icmp.Id, icmp.Seq
		if isICMPError(f.ICMPType) {
			f.Quote, f.HasQuote = ParseQuote(icmp.Payload)
		} else {
			f.Payload = icmp.Payload
		}
		return true
	}
	return false
}

func tcpFlags(t *layers.TCP) uint8 {
	var f uint8
	for _, b := range []struct {
		set  bool
		flag uint8
	}{{t.FIN, FlagFIN}, {t.SYN, FlagSYN}, {t.RST, FlagRST}, {t.PSH, FlagPSH}, {t.ACK, FlagACK}} {
		if b.set {
			f |= b.flag
		}
	}
	return f
}

// isICMPError: destination unreachable, source quench, redirect, time exceeded,
// parameter problem: the types that quote the offending packet.
func isICMPError(t uint8) bool {
	switch t {
	case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench, layers.ICMPv4TypeRedirect,
		layers.ICMPv4TypeTimeExceeded, layers.ICMPv4TypeParameterProblem:
		return true
	}
	return false
}

// ParseQuote reads the IPv4 header and 8 bytes an ICMP error carries (the body
// after the 8-byte ICMP header).
func ParseQuote(b []byte) (Quote, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return Quote{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl+8 {
		return Quote{}, false
	}
	q := Quote{Proto: bpf.Proto(b[9])}
	q.Src = netip.AddrFrom4([4]byte(b[12:16]))
	q.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	l4 := b[ihl:]
	switch q.Proto {
	case bpf.ProtoTCP, bpf.ProtoUDP:
		q.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		q.DstPort = binary.BigEndian.Uint16(l4[2:4])
		q.Seq = binary.BigEndian.Uint32(l4[4:8])
	case bpf.ProtoICMP:
		q.ICMPType = l4[0]
		q.ICMPID = binary.BigEndian.Uint16(l4[4:6])
		q.ICMPSeq = binary.BigEndian.Uint16(l4[6:8])
	}
	return q, true
}

// Frames decodes every packet of the capture (in time order), skipping the ones
// Decode cannot read.
func (r *Result) Frames(vxlanPort uint16) []Frame {
	d := NewDecoder(vxlanPort)
	frames := make([]Frame, 0, len(r.Packets))
	for _, p := range r.Packets {
		if f, ok := d.Decode(p, r.Interfaces[p.Iface].Link); ok {
			frames = append(frames, f)
		}
	}
	return frames
}
