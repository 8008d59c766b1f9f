// Package bpftest builds synthetic packets with gopacket/layers, the way a kernel
// hands them to an AF_PACKET socket (Ethernet first; StripL2 gives the cooked,
// L3-only form), for the filter and decoder tests. Test support only.
package bpftest

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The MACs every synthetic frame carries (inner frames included).
var (
	MACA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	MACB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
)

// ISN is the sequence number of every synthetic TCP segment unless changed.
const ISN = 0x1a2b3c4d

// Serialize lays out ls with lengths and checksums fixed.
func Serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// Ethernet is a MACA -> MACB header of type et.
func Ethernet(et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: MACA, DstMAC: MACB, EthernetType: et}
}

// IPv4 is a TTL-64 header without options.
func IPv4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// TCP is an Ethernet/IPv4/TCP SYN with sequence ISN; mod may change the IP
// header or the segment (flags, numbers).
func TCP(t testing.TB, src, dst string, sport, dport uint16, mod ...func(*layers.IPv4, *layers.TCP)) []byte {
	ip := IPv4(src, dst, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: true, Seq: ISN, Window: 64240}
	for _, m := range mod {
		m(ip, tcp)
	}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	return Serialize(t, Ethernet(layers.EthernetTypeIPv4), ip, tcp)
}

// UDP is an Ethernet/IPv4/UDP datagram.
func UDP(t testing.TB, src, dst string, sport, dport uint16, payload []byte) []byte {
	ip := IPv4(src, dst, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	_ = udp.SetNetworkLayerForChecksum(ip)
	return Serialize(t, Ethernet(layers.EthernetTypeIPv4), ip, udp, gopacket.Payload(payload))
}

// ICMP is an Ethernet/IPv4/ICMP message of the given type and code with id
// 0x4e21 and seq 1; payload follows the 8-byte header (for errors: the quote).
func ICMP(t testing.TB, src, dst string, typ, code uint8, payload []byte, mod ...func(*layers.IPv4, *layers.ICMPv4)) []byte {
	ip := IPv4(src, dst, layers.IPProtocolICMPv4)
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: 0x4e21, Seq: 1}
	for _, m := range mod {
		m(ip, icmp)
	}
	return Serialize(t, Ethernet(layers.EthernetTypeIPv4), ip, icmp, gopacket.Payload(payload))
}

// VXLAN wraps an Ethernet frame as a VTEP does: outer Ethernet, IPv4, UDP to
// port, VXLAN header with VNI 1.
func VXLAN(t testing.TB, inner []byte, outerSrc, outerDst string, port uint16, mod ...func(*layers.IPv4)) []byte {
	ip := IPv4(outerSrc, outerDst, layers.IPProtocolUDP)
	for _, m := range mod {
		m(ip)
	}
	udp := &layers.UDP{SrcPort: 51234, DstPort: layers.UDPPort(port)}
	_ = udp.SetNetworkLayerForChecksum(ip)
	vx := &layers.VXLAN{ValidIDFlag: true, VNI: 1}
	return Serialize(t, Ethernet(layers.EthernetTypeIPv4), ip, udp, vx, gopacket.Payload(inner))
}

// ARP is a who-has request.
func ARP(t testing.TB) []byte {
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: MACA, SourceProtAddress: net.ParseIP("10.0.1.5").To4(),
		DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP("10.0.2.7").To4()}
	return Serialize(t, Ethernet(layers.EthernetTypeARP), arp)
}

// IPv6TCP is a TCP SYN over IPv6 using the tag ports 61000 -> 8080.
func IPv6TCP(t testing.TB) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
		SrcIP: net.ParseIP("fd00::5"), DstIP: net.ParseIP("fd00::7")}
	tcp := &layers.TCP{SrcPort: 61000, DstPort: 8080, SYN: true}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	return Serialize(t, Ethernet(layers.EthernetTypeIPv6), ip, tcp)
}

// WithOptions gives the IPv4 header a 4-byte option (NOP x3 + EOL): IHL 6.
func WithOptions(ip *layers.IPv4) {
	ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
}

// LaterFragment makes the packet a non-first fragment.
func LaterFragment(ip *layers.IPv4) { ip.FragOffset = 185 }

// StripL2 is the frame as a cooked (SOCK_DGRAM) socket or an L3-only link shows it.
func StripL2(frame []byte) []byte { return frame[14:] }

// L3 is the IP packet inside frame: StripL2 under the name the callers that
// build IP packets for a tun device use.
func L3(frame []byte) []byte { return StripL2(frame) }
