package bpf

import (
	"encoding/binary"
	"net/netip"

	xbpf "golang.org/x/net/bpf"
)

// Offsets inside the headers the programs read.
const (
	ethHeaderLen   = 14
	ethTypeOffset  = 12
	ethTypeIPv4    = 0x0800
	ipProtoOffset  = 9
	ipFragOffset   = 6 // flags+fragment offset; the low 13 bits are the offset
	ipSrcOffset    = 12
	ipDstOffset    = 16
	ipFragMask     = 0x1fff
	icmpEchoReply  = 0
	icmpEcho       = 8
	icmpIDOffset   = 4
	ipv4MinHeader  = 20
	udpHeaderLen   = 8
	vxlanHeaderLen = 8
	// vxlanInnerIP is where the inner IPv4 header starts, counted from the outer
	// one: outer IPv4 without options, UDP, VXLAN, inner Ethernet.
	vxlanInnerIP = ipv4MinHeader + udpHeaderLen + vxlanHeaderLen + ethHeaderLen
)

// generator lays out one program:
//
//	outer IPv4?            else reject
//	plain terms            each: match -> ret snap, else next term
//	VXLAN outer checks     else reject
//	inner Ethernet IPv4?   else reject
//	inner terms            each: match -> ret snap, else next term
//	reject: ret 0
type generator struct {
	asm  *assembler
	snap uint32
}

func (g *generator) program(f Filter, link Link) {
	a := g.asm
	reject := a.newLabel("reject")
	ip := uint32(0)
	if link == LinkEthernet {
		ip = ethHeaderLen
		a.emit(xbpf.LoadAbsolute{Off: ethTypeOffset, Size: 2})
		a.require(xbpf.JumpEqual, ethTypeIPv4, reject)
	} else {
		// No link header: the version nibble tells IPv4 from IPv6 (ARP never
		// reaches an L3-only link).
		a.emit(xbpf.LoadAbsolute{Off: 0, Size: 1}, xbpf.ALUOpConstant{Op: xbpf.ALUOpAnd, Val: 0xf0})
		a.require(xbpf.JumpEqual, 0x40, reject)
	}
	g.terms(f.Terms, ip)
	if f.VXLANPort != 0 {
		g.vxlan(ip, f.VXLANPort, reject)
		g.terms(f.Terms, ip+vxlanInnerIP)
	}
	a.place(reject)
	a.emit(xbpf.RetConstant{Val: 0})
}

// vxlan continues only for an unfragmented outer IPv4/UDP packet without IP
// options to port, carrying an inner Ethernet frame with IPv4.
func (g *generator) vxlan(ip uint32, port uint16, reject string) {
	a := g.asm
	a.emit(xbpf.LoadAbsolute{Off: ip + ipProtoOffset, Size: 1})
	a.require(xbpf.JumpEqual, uint32(ProtoUDP), reject)
	a.emit(xbpf.LoadAbsolute{Off: ip + ipFragOffset, Size: 2})
	a.require(xbpf.JumpBitsNotSet, ipFragMask, reject)
	a.emit(xbpf.LoadAbsolute{Off: ip, Size: 1}, xbpf.ALUOpConstant{Op: xbpf.ALUOpAnd, Val: 0x0f})
	a.require(xbpf.JumpEqual, ipv4MinHeader/4, reject)
	a.emit(xbpf.LoadAbsolute{Off: ip + ipv4MinHeader + 2, Size: 2}) // UDP destination port
	a.require(xbpf.JumpEqual, uint32(port), reject)
	a.emit(xbpf.LoadAbsolute{Off: ip + vxlanInnerIP - ethHeaderLen + ethTypeOffset, Size: 2})
	a.require(xbpf.JumpEqual, ethTypeIPv4, reject)
}

// terms emits one block per term for an IPv4 header at offset ip; a packet that
// matches no term falls through past the last block.
func (g *generator) terms(terms []Term, ip uint32) {
	for _, t := range terms {
		next := g.asm.newLabel("next-term")
		g.term(t, ip, next)
		g.asm.place(next)
	}
}

// term matches t in both directions; the reverse direction is skipped when it is
// the same test (A and B alike).
func (g *generator) term(t Term, ip uint32, next string) {
	a := g.asm
	a.emit(xbpf.LoadAbsolute{Off: ip + ipProtoOffset, Size: 1})
	a.jumpIf(xbpf.JumpEqual, uint32(t.Proto), "", next)
	symmetric := t.A == t.B && t.APorts == t.BPorts
	if symmetric {
		g.direction(ip, t, t.A, t.B, t.APorts, t.BPorts, next)
		return
	}
	reverse := a.newLabel("reverse")
	g.direction(ip, t, t.A, t.B, t.APorts, t.BPorts, reverse)
	a.place(reverse)
	g.direction(ip, t, t.B, t.A, t.BPorts, t.APorts, next)
}

// direction matches src->dst with ports in the given ranges (and t's echo
// match) and returns the snap length, or jumps to fail.
func (g *generator) direction(ip uint32, t Term, src, dst netip.Addr, sports, dports PortRange, fail string) {
	a := g.asm
	if src.IsValid() {
		a.emit(xbpf.LoadAbsolute{Off: ip + ipSrcOffset, Size: 4})
		a.jumpIf(xbpf.JumpEqual, addrValue(src), "", fail)
	}
	if dst.IsValid() {
		a.emit(xbpf.LoadAbsolute{Off: ip + ipDstOffset, Size: 4})
		a.jumpIf(xbpf.JumpEqual, addrValue(dst), "", fail)
	}
	if !sports.Any() || !dports.Any() {
		// Only the first fragment carries ports; X = IP header length.
		a.emit(xbpf.LoadAbsolute{Off: ip + ipFragOffset, Size: 2})
		a.jumpIf(xbpf.JumpBitsSet, ipFragMask, fail, "")
		a.emit(xbpf.LoadMemShift{Off: ip})
		g.portRange(ip, sports, fail)
		g.portRange(ip+2, dports, fail)
	}
	if t.EchoID != 0 || t.NoEchoes {
		g.echoes(ip, t.EchoID, fail)
	}
	a.emit(xbpf.RetConstant{Val: g.snap})
}

// echoes lets an ICMP echo request or reply through only with id (none at
// all for id 0); any other ICMP type (an error about a probe) passes. A later
// fragment has no ICMP header to read and is dropped, as for ports.
func (g *generator) echoes(ip uint32, id uint16, fail string) {
	a := g.asm
	keep := a.newLabel("not-an-echo")
	a.emit(xbpf.LoadAbsolute{Off: ip + ipFragOffset, Size: 2})
	a.jumpIf(xbpf.JumpBitsSet, ipFragMask, fail, "")
	a.emit(xbpf.LoadMemShift{Off: ip})
	a.emit(xbpf.LoadIndirect{Off: ip, Size: 1}) // ICMP type
	echo := a.newLabel("echo")
	a.jumpIf(xbpf.JumpEqual, icmpEcho, echo, "")
	a.jumpIf(xbpf.JumpEqual, icmpEchoReply, echo, keep)
	a.place(echo)
	if id == 0 {
		a.jump(fail)
	} else {
		a.emit(xbpf.LoadIndirect{Off: ip + icmpIDOffset, Size: 2})
		a.jumpIf(xbpf.JumpEqual, uint32(id), "", fail)
	}
	a.place(keep)
}

// portRange checks the 16-bit port at X+off against r.
func (g *generator) portRange(off uint32, r PortRange, fail string) {
	if r.Any() {
		return
	}
	a := g.asm
	a.emit(xbpf.LoadIndirect{Off: off, Size: 2})
	if r.Lo == r.Hi {
		a.jumpIf(xbpf.JumpEqual, uint32(r.Lo), "", fail)
		return
	}
	a.jumpIf(xbpf.JumpGreaterOrEqual, uint32(r.Lo), "", fail)
	a.jumpIf(xbpf.JumpLessOrEqual, uint32(r.Hi), "", fail)
}

// addrValue is the IPv4 address as the 32-bit big-endian word a load returns.
func addrValue(a netip.Addr) uint32 {
	b := a.Unmap().As4()
	return binary.BigEndian.Uint32(b[:])
}
