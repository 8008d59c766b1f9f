// Package bpf generates the classic BPF programs the capture attaches to its
// AF_PACKET sockets: keep the IPv4 packets of a probe flow (TCP or ICMP between two
// addresses, either direction, optional port ranges) whether they travel plain or
// inside VXLAN, and drop everything else in the kernel.
//
// The programs are written by hand with golang.org/x/net/bpf instead of compiled
// from tcpdump syntax: libpcap would need cgo, and the pure-Go expression compilers
// miscompile exactly the expressions a trace needs (icmp, port ranges).
package bpf

import (
	"errors"
	"fmt"
	"net/netip"

	xbpf "golang.org/x/net/bpf"
)

// Proto is an IPv4 protocol number.
type Proto uint8

const (
	ProtoICMP Proto = 1
	ProtoTCP  Proto = 6
	ProtoUDP  Proto = 17
)

func (p Proto) hasPorts() bool { return p == ProtoTCP || p == ProtoUDP }

// PortRange is an inclusive range of ports; the zero value matches any port.
type PortRange struct{ Lo, Hi uint16 }

// Port is the range of the single port p.
func Port(p uint16) PortRange { return PortRange{Lo: p, Hi: p} }

// Any reports whether the range matches every port.
func (r PortRange) Any() bool { return r.Lo == 0 && r.Hi == 0 }

// Term keeps packets of one protocol between A and B, in either direction: A to B
// with source port in APorts and destination port in BPorts, or the reverse. A
// zero address matches any address, which is how a trace follows DNAT (the
// destination changes) and SNAT (the source changes).
//
// EchoID, for ICMP, keeps only the echo requests and replies with that
// identifier (other runs' pings to the same pod stay out of the capture);
// NoEchoes keeps no echo at all (a TCP trace wants the errors about its SYNs,
// not the source's pings). ICMP errors still match on the addresses alone,
// since they carry the probe only in their quote.
type Term struct {
	Proto          Proto
	A, B           netip.Addr
	APorts, BPorts PortRange
	EchoID         uint16
	NoEchoes       bool
}

// Link is what precedes the IPv4 header in the captured bytes.
type Link int

const (
	// LinkEthernet: an Ethernet header (SOCK_RAW on veth, bridges, vxlan, NICs).
	LinkEthernet Link = iota
	// LinkIP: nothing; the packet starts at the IP header (SOCK_DGRAM "cooked"
	// sockets, and links without L2 such as tunl0 or wireguard).
	LinkIP
)

func (l Link) String() string {
	if l == LinkIP {
		return "ip"
	}
	return "ethernet"
}

// DefaultVXLANPort is the Linux (and flannel) VXLAN port; IANA's is 4789.
const DefaultVXLANPort = 8472

// DefaultSnapLen is how many bytes of a kept packet reach user space when
// Filter.SnapLen is 0: headers of a probe, even inside VXLAN, plus some payload.
const DefaultSnapLen = 512

// Filter is the set of packets to keep.
type Filter struct {
	// Terms are alternatives: a packet matching any term is kept.
	Terms []Term
	// VXLANPort, when not 0, also keeps VXLAN packets (outer IPv4/UDP to this
	// port) whose inner Ethernet+IPv4 packet matches a term. The inner packet is
	// read at a fixed offset, so an outer IPv4 header with options is not matched
	// (VTEPs never send options).
	VXLANPort uint16
	// SnapLen caps the bytes kept per packet; 0 means DefaultSnapLen.
	SnapLen uint32
}

// Validate rejects filters the generator cannot express.
func (f Filter) Validate() error {
	if len(f.Terms) == 0 {
		return errors.New("bpf: filter has no terms (it would keep nothing)")
	}
	for i, t := range f.Terms {
		switch t.Proto {
		case ProtoICMP, ProtoTCP, ProtoUDP:
		default:
			return fmt.Errorf("bpf: term %d: protocol %d not supported (tcp, udp, icmp)", i, t.Proto)
		}
		for _, a := range []netip.Addr{t.A, t.B} {
			if a.IsValid() && !a.Unmap().Is4() {
				return fmt.Errorf("bpf: term %d: %s is not IPv4 (only IPv4 is traced)", i, a)
			}
		}
		if (t.EchoID != 0 || t.NoEchoes) && t.Proto != ProtoICMP {
			return fmt.Errorf("bpf: term %d: an echo match on a protocol other than icmp", i)
		}
		if t.EchoID != 0 && t.NoEchoes {
			return fmt.Errorf("bpf: term %d: both an echo id and no echoes", i)
		}
		for _, r := range []PortRange{t.APorts, t.BPorts} {
			if r.Any() {
				continue
			}
			if !t.Proto.hasPorts() {
				return fmt.Errorf("bpf: term %d: ports given for a protocol without ports", i)
			}
			if r.Lo > r.Hi {
				return fmt.Errorf("bpf: term %d: port range %d-%d is reversed", i, r.Lo, r.Hi)
			}
		}
	}
	if len(f.Terms) > maxTerms {
		return fmt.Errorf("bpf: %d terms, at most %d", len(f.Terms), maxTerms)
	}
	return nil
}

// maxTerms keeps programs far below the kernel's 4096-instruction limit.
const maxTerms = 32

// Compile returns the program for sockets whose packets start with link.
func (f Filter) Compile(link Link) ([]xbpf.Instruction, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	g := generator{asm: newAssembler(), snap: f.SnapLen}
	if g.snap == 0 {
		g.snap = DefaultSnapLen
	}
	g.program(f, link)
	return g.asm.resolve()
}

// Assemble returns the program in the form SO_ATTACH_FILTER takes
// (afpacket.TPacket.SetBPF).
func (f Filter) Assemble(link Link) ([]xbpf.RawInstruction, error) {
	prog, err := f.Compile(link)
	if err != nil {
		return nil, err
	}
	raw, err := xbpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("bpf: assemble: %w", err)
	}
	return raw, nil
}
