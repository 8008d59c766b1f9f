//go:build linux

package nodeinfo

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/google/nftables/xt"
)

// ruleView is one nftables rule made readable: the fields pkg/diagnose tests
// (Verdict, Match, To, Comment, counters) and a Text for humans.
type ruleView struct {
	Text, Verdict, To, Comment string
	Match                      []string
	Packets, Bytes             uint64
}

// term is one piece of a rule, in both notations. match is its entry in
// ruleView.Match ("" for pieces that match nothing, such as a counter).
type term struct {
	match, ipt, nft string
}

// renderRule decodes a rule's expressions. iptablesStyle renders Text the way
// iptables-save would (for the tables iptables-nft owns), else nft-like.
func renderRule(fam nftables.TableFamily, exprs []expr.Any, udata []byte, iptablesStyle bool) ruleView {
	r := &renderer{regs: map[uint32]operand{}, l3: familyL3(fam)}
	for _, e := range exprs {
		r.add(e)
	}
	v := ruleView{Verdict: r.verdict.match, To: r.to, Comment: r.comment, Packets: r.packets, Bytes: r.bytes}
	if c, ok := userdata.GetString(udata, userdata.TypeComment); ok && v.Comment == "" {
		v.Comment = c // nft-native comments live in the rule's userdata
	}
	var text []string
	for _, t := range r.terms {
		if t.match != "" {
			v.Match = append(v.Match, t.match)
		}
		switch {
		case iptablesStyle && t.ipt != "":
			text = append(text, t.ipt)
		case t.nft != "":
			text = append(text, t.nft)
		}
	}
	verdict := r.verdict.nft
	if iptablesStyle && r.verdict.ipt != "" {
		verdict = r.verdict.ipt
	}
	if verdict != "" {
		text = append(text, verdict)
	}
	if !iptablesStyle && v.Comment != "" && !r.commentInline {
		text = append(text, fmt.Sprintf("comment %q", v.Comment))
	}
	v.Text = strings.Join(text, " ")
	return v
}

// familyL3 is the network protocol a table family implies (0: either).
func familyL3(fam nftables.TableFamily) int {
	switch fam {
	case nftables.TableFamilyIPv4:
		return 4
	case nftables.TableFamilyIPv6:
		return 6
	}
	return 0
}

// operand is what an expression loaded into a register.
type operand struct {
	src       string // "payload", "meta", "ct", "imm", "map"
	base      expr.PayloadBase
	off, len  uint32
	meta      expr.MetaKey
	ct        expr.CtKey
	data      []byte // immediate value
	set       string // map a lookup read from
	mask, xor []byte // bitwise applied after the load
}

type renderer struct {
	regs          map[uint32]operand
	l3            int // 4 or 6 once known from the family or a meta nfproto match
	terms         []term
	verdict       term
	to, comment   string
	commentInline bool
	packets       uint64
	bytes         uint64
	counted       bool
}

func (r *renderer) add(e expr.Any) {
	switch e := e.(type) {
	case *expr.Meta:
		if e.SourceRegister {
			r.terms = append(r.terms, term{nft: "meta " + metaName(e.Key) + " set"})
			return
		}
		r.regs[e.Register] = operand{src: "meta", meta: e.Key}
	case *expr.Payload:
		if e.OperationType != expr.PayloadLoad {
			r.terms = append(r.terms, term{nft: fmt.Sprintf("payload write @%d,%d,%d", e.Base, e.Offset, e.Len)})
			return
		}
		r.regs[e.DestRegister] = operand{src: "payload", base: e.Base, off: e.Offset, len: e.Len}
	case *expr.Ct:
		if e.SourceRegister {
			r.terms = append(r.terms, term{nft: "ct set"})
			return
		}
		r.regs[e.Register] = operand{src: "ct", ct: e.Key}
	case *expr.Bitwise:
		op := r.regs[e.SourceRegister]
		op.mask, op.xor = e.Mask, e.Xor
		r.regs[e.DestRegister] = op
	case *expr.Immediate:
		r.regs[e.Register] = operand{src: "imm", data: e.Data}
	case *expr.Cmp:
		r.cmp(r.regs[e.Register], e.Op, e.Data)
	case *expr.Range:
		r.rangeTerm(r.regs[e.Register], e.Op, e.FromData, e.ToData)
	case *expr.Lookup:
		r.lookup(e)
	case *expr.Counter:
		if !r.counted { // a rule has one counter; a second would only repeat it
			r.packets, r.bytes, r.counted = e.Packets, e.Bytes, true
		}
	case *expr.Verdict:
		r.verdict = verdictTerm(e)
	case *expr.Target:
		r.xtTarget(e)
	case *expr.Match:
		r.xtMatch(e)
	case *expr.Masq:
		r.verdict = term{match: "masquerade", nft: "masquerade", ipt: "-j MASQUERADE"}
	case *expr.NAT:
		r.nat(e)
	case *expr.Reject:
		r.verdict = term{match: "reject", nft: "reject", ipt: "-j REJECT"}
	case *expr.Redir:
		r.verdict = term{match: "redirect", nft: "redirect", ipt: "-j REDIRECT"}
	case *expr.Queue:
		r.verdict = term{match: "queue", nft: fmt.Sprintf("queue num %d", e.Num), ipt: "-j NFQUEUE"}
	case *expr.Log:
		r.terms = append(r.terms, term{nft: "log", ipt: "-j LOG"})
	case *expr.Limit:
		r.terms = append(r.terms, term{match: "limit", nft: fmt.Sprintf("limit rate %d", e.Rate), ipt: "-m limit"})
	case *expr.Notrack:
		r.terms = append(r.terms, term{nft: "notrack", ipt: "-j NOTRACK"})
	default:
		name := strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", e), "*expr."))
		r.terms = append(r.terms, term{match: name, nft: name})
	}
}

func verdictTerm(v *expr.Verdict) term {
	switch v.Kind {
	case expr.VerdictAccept:
		return term{match: "accept", nft: "accept", ipt: "-j ACCEPT"}
	case expr.VerdictDrop:
		return term{match: "drop", nft: "drop", ipt: "-j DROP"}
	case expr.VerdictReturn:
		return term{match: "return", nft: "return", ipt: "-j RETURN"}
	case expr.VerdictJump:
		return term{match: "jump " + v.Chain, nft: "jump " + v.Chain, ipt: "-j " + v.Chain}
	case expr.VerdictGoto:
		return term{match: "goto " + v.Chain, nft: "goto " + v.Chain, ipt: "-g " + v.Chain}
	case expr.VerdictContinue:
		return term{match: "continue", nft: "continue"}
	case expr.VerdictQueue:
		return term{match: "queue", nft: "queue", ipt: "-j NFQUEUE"}
	}
	return term{match: fmt.Sprintf("verdict %d", v.Kind), nft: fmt.Sprintf("verdict %d", v.Kind)}
}

// field says what an operand is: its name in Match, its iptables option
// ("" when iptables has none) and its nft left-hand side, and how values print.
type field struct {
	name, ipt, nft string
	kind           valueKind
}

type valueKind int

const (
	vHex valueKind = iota
	vAddr
	vPort
	vProto
	vIfname
	vNfproto
	vCtState
	vMark
	vDec
)

func (r *renderer) field(op operand) field {
	switch op.src {
	case "payload":
		return r.payloadField(op)
	case "meta":
		switch op.meta {
		case expr.MetaKeyIIFNAME:
			return field{"iifname", "-i", "iifname", vIfname}
		case expr.MetaKeyOIFNAME:
			return field{"oifname", "-o", "oifname", vIfname}
		case expr.MetaKeyL4PROTO:
			return field{"proto", "-p", "meta l4proto", vProto}
		case expr.MetaKeyNFPROTO:
			return field{"nfproto", "", "meta nfproto", vNfproto}
		case expr.MetaKeyMARK:
			return field{"mark", "-m mark --mark", "meta mark", vMark}
		case expr.MetaKeyIIF, expr.MetaKeyOIF, expr.MetaKeySKUID, expr.MetaKeySKGID, expr.MetaKeyPRANDOM, expr.MetaKeyLEN:
			return field{metaName(op.meta), "", "meta " + metaName(op.meta), vDec}
		}
		return field{metaName(op.meta), "", "meta " + metaName(op.meta), vHex}
	case "ct":
		if op.ct == expr.CtKeySTATE {
			return field{"ctstate", "-m conntrack --ctstate", "ct state", vCtState}
		}
		return field{fmt.Sprintf("ct key %d", op.ct), "", fmt.Sprintf("ct key %d", op.ct), vHex}
	case "map":
		return field{"@" + op.set, "", "map @" + op.set, vHex}
	}
	return field{"value", "", "value", vHex}
}

func (r *renderer) payloadField(op operand) field {
	switch op.base {
	case expr.PayloadBaseNetworkHeader:
		v4 := r.l3 == 4 || (r.l3 == 0 && op.len <= 4 && op.off <= 16)
		switch {
		case v4 && op.off == 12 && op.len <= 4:
			return field{"saddr", "-s", "ip saddr", vAddr}
		case v4 && op.off == 16 && op.len <= 4:
			return field{"daddr", "-d", "ip daddr", vAddr}
		case v4 && op.off == 9 && op.len == 1:
			return field{"proto", "-p", "ip protocol", vProto}
		case !v4 && op.off == 8 && op.len <= 16:
			return field{"saddr", "-s", "ip6 saddr", vAddr}
		case !v4 && op.off == 24 && op.len <= 16:
			return field{"daddr", "-d", "ip6 daddr", vAddr}
		case !v4 && op.off == 6 && op.len == 1:
			return field{"proto", "-p", "ip6 nexthdr", vProto}
		}
	case expr.PayloadBaseTransportHeader:
		switch {
		case op.off == 0 && op.len == 2:
			return field{"sport", "--sport", "th sport", vPort}
		case op.off == 2 && op.len == 2:
			return field{"dport", "--dport", "th dport", vPort}
		}
	}
	bases := map[expr.PayloadBase]string{expr.PayloadBaseLLHeader: "ll", expr.PayloadBaseNetworkHeader: "nh",
		expr.PayloadBaseTransportHeader: "th"}
	name := fmt.Sprintf("@%s,%d,%d", bases[op.base], op.off*8, op.len*8)
	return field{name, "", name, vHex}
}

// cmp renders "field op value".
func (r *renderer) cmp(op operand, cop expr.CmpOp, data []byte) {
	f := r.field(op)
	if f.kind == vNfproto && cop == expr.CmpOpEq && len(data) == 1 {
		switch data[0] {
		case 2:
			r.l3 = 4
		case 10:
			r.l3 = 6
		}
	}
	if f.kind == vCtState && cop == expr.CmpOpNeq && isZero(data) && len(op.mask) > 0 {
		// nft's "ct state established,related": state & mask != 0.
		r.terms = append(r.terms, r.positive(f, ctStates(hostUint32(op.mask), nftCtStateNames)))
		return
	}
	val := r.value(f, op, data)
	switch cop {
	case expr.CmpOpEq:
		r.terms = append(r.terms, r.positive(f, val))
	case expr.CmpOpNeq:
		r.terms = append(r.terms, r.negative(f, val))
	default:
		sym := cmpSymbols[cop]
		r.terms = append(r.terms, term{match: f.name + " " + sym + " " + val, nft: f.nft + " " + sym + " " + val})
	}
}

var cmpSymbols = map[expr.CmpOp]string{expr.CmpOpLt: "<", expr.CmpOpLte: "<=", expr.CmpOpGt: ">", expr.CmpOpGte: ">="}

func (r *renderer) positive(f field, val string) term {
	t := term{match: f.name + " " + val, nft: f.nft + " " + val}
	if f.ipt != "" {
		t.ipt = f.ipt + " " + val
	}
	if f.kind == vNfproto {
		t.match = "" // "ipv4 only" says nothing the table family does not
	}
	return t
}

func (r *renderer) negative(f field, val string) term {
	t := term{match: "! " + f.name + " " + val, nft: f.nft + " != " + val}
	if f.ipt != "" {
		t.ipt = "! " + f.ipt + " " + val
	}
	if f.kind == vNfproto {
		t.match = ""
	}
	return t
}

// rangeTerm renders "dport 30000-32767".
func (r *renderer) rangeTerm(op operand, cop expr.CmpOp, from, to []byte) {
	f := r.field(op)
	val := r.value(f, op, from) + "-" + r.value(f, op, to)
	iptVal := strings.Replace(val, "-", ":", 1)
	t := term{match: f.name + " " + val, nft: f.nft + " " + val}
	if f.ipt != "" {
		t.ipt = f.ipt + " " + iptVal
	}
	if cop == expr.CmpOpNeq {
		t = term{match: "! " + t.match, nft: f.nft + " != " + val}
		if f.ipt != "" {
			t.ipt = "! " + f.ipt + " " + iptVal
		}
	}
	r.terms = append(r.terms, t)
}

// lookup renders a set match ("daddr @allowed") or a verdict map, the way
// kube-proxy's nftables mode dispatches Services ("vmap @service-ips").
func (r *renderer) lookup(e *expr.Lookup) {
	f := r.field(r.regs[e.SourceRegister])
	switch {
	case e.IsDestRegSet && e.DestRegister == 0:
		r.verdict = term{match: "vmap @" + e.SetName, nft: f.nft + " vmap @" + e.SetName}
	case e.IsDestRegSet:
		r.regs[e.DestRegister] = operand{src: "map", set: e.SetName}
	case e.Invert:
		r.terms = append(r.terms, term{match: "! " + f.name + " @" + e.SetName, nft: f.nft + " != @" + e.SetName})
	default:
		r.terms = append(r.terms, term{match: f.name + " @" + e.SetName, nft: f.nft + " @" + e.SetName})
	}
}

// value prints data as the field's type.
func (r *renderer) value(f field, op operand, data []byte) string {
	switch f.kind {
	case vAddr:
		return prefixString(data, op.mask, r.l3 == 6 || op.len > 4)
	case vPort:
		if len(data) == 2 {
			return fmt.Sprint(binary.BigEndian.Uint16(data))
		}
	case vProto:
		if len(data) == 1 {
			return protoName(data[0])
		}
	case vIfname:
		return ifname(data)
	case vNfproto:
		if len(data) == 1 {
			switch data[0] {
			case 2:
				return "ipv4"
			case 10:
				return "ipv6"
			}
		}
	case vCtState:
		return ctStates(hostUint32(data), nftCtStateNames)
	case vMark:
		v := fmt.Sprintf("0x%x", hostUint32(data))
		if len(op.mask) == 4 {
			v += fmt.Sprintf("/0x%x", hostUint32(op.mask))
		}
		return v
	case vDec:
		if len(data) == 4 {
			return fmt.Sprint(hostUint32(data))
		}
	}
	return fmt.Sprintf("0x%x", data)
}

// prefixString prints an address compared under a prefix. iptables-nft loads
// only the prefix's whole bytes ("-s 10.244.0.0/16" compares 2 bytes), and a
// bitwise mask narrows the rest; a full-length match prints the bare address.
func prefixString(data, mask []byte, v6 bool) string {
	size := 4
	if v6 {
		size = 16
	}
	if len(data) > size {
		return fmt.Sprintf("0x%x", data)
	}
	full := make([]byte, size)
	copy(full, data)
	bits := len(data) * 8
	if len(mask) > 0 && len(mask) <= size {
		if ones, ok := prefixOnes(mask); ok {
			bits = ones
		}
	}
	addr, _ := netip.AddrFromSlice(full)
	if bits == size*8 {
		return addr.String()
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return addr.String()
	}
	return p.String()
}

// prefixOnes counts the leading ones of a contiguous netmask.
func prefixOnes(mask []byte) (int, bool) {
	ones, seenZero := 0, false
	for _, b := range mask {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if seenZero {
					return 0, false
				}
				ones++
			} else {
				seenZero = true
			}
		}
	}
	return ones, true
}

// ifname prints an interface name; iptables' "cni+" wildcard is a compare of
// the prefix without the terminating NUL.
func ifname(data []byte) string {
	if i := strings.IndexByte(string(data), 0); i >= 0 {
		return string(data[:i])
	}
	return string(data) + "+"
}

func protoName(p byte) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmpv6"
	case 132:
		return "sctp"
	}
	return fmt.Sprint(p)
}

func metaName(k expr.MetaKey) string {
	names := map[expr.MetaKey]string{
		expr.MetaKeyLEN: "length", expr.MetaKeyPROTOCOL: "protocol", expr.MetaKeyPRIORITY: "priority",
		expr.MetaKeyMARK: "mark", expr.MetaKeyIIF: "iif", expr.MetaKeyOIF: "oif", expr.MetaKeyIIFNAME: "iifname",
		expr.MetaKeyOIFNAME: "oifname", expr.MetaKeyIIFTYPE: "iiftype", expr.MetaKeyOIFTYPE: "oiftype",
		expr.MetaKeySKUID: "skuid", expr.MetaKeySKGID: "skgid", expr.MetaKeyNFTRACE: "nftrace",
		expr.MetaKeyNFPROTO: "nfproto", expr.MetaKeyL4PROTO: "l4proto", expr.MetaKeyPKTTYPE: "pkttype",
		expr.MetaKeyCPU: "cpu", expr.MetaKeyCGROUP: "cgroup", expr.MetaKeyPRANDOM: "random",
	}
	if n, ok := names[k]; ok {
		return n
	}
	return fmt.Sprintf("key %d", k)
}

// hostUint32 reads marks and conntrack states, which nftables keeps in host
// byte order.
func hostUint32(b []byte) uint32 {
	if len(b) != 4 {
		return 0
	}
	return binary.NativeEndian.Uint32(b)
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// State bit names: nft's (ct state) and xt_conntrack's (--ctstate), in the
// order each tool prints them.
type stateName struct {
	bit  uint32
	name string
}

var (
	nftCtStateNames = []stateName{{1, "invalid"}, {2, "established"}, {4, "related"}, {8, "new"}, {64, "untracked"}}
	xtCtStateNames  = []stateName{{1, "INVALID"}, {8, "NEW"}, {4, "RELATED"}, {2, "ESTABLISHED"},
		{1 << 10, "UNTRACKED"}, {1 << 8, "SNAT"}, {1 << 9, "DNAT"}}
)

func ctStates(bits uint32, names []stateName) string {
	var out []string
	for _, n := range names {
		if bits&n.bit != 0 {
			out = append(out, n.name)
			bits &^= n.bit
		}
	}
	if bits != 0 || len(out) == 0 {
		out = append(out, fmt.Sprintf("0x%x", bits))
	}
	return strings.Join(out, ",")
}

// xtMatch decodes the iptables extensions iptables-nft keeps as compat "match"
// expressions: the comment, tcp/udp ports, conntrack states and address types.
// Others are named "xt <name>".
func (r *renderer) xtMatch(m *expr.Match) {
	switch info := m.Info.(type) {
	case *xt.Comment:
		r.comment = string(*info)
		r.commentInline = true
		r.terms = append(r.terms, term{ipt: fmt.Sprintf("-m comment --comment %q", r.comment),
			nft: fmt.Sprintf("comment %q", r.comment)})
		return
	case *xt.Tcp:
		r.portTerms("tcp", info.SrcPorts, info.DstPorts, uint8(info.InvFlags))
		return
	case *xt.Udp:
		r.portTerms("udp", info.SrcPorts, info.DstPorts, uint8(info.InvFlags))
		return
	case *xt.ConntrackMtinfo1:
		r.ctstateTerm(info.MatchFlags, info.InvertFlags, uint32(info.StateMask))
		return
	case *xt.ConntrackMtinfo2:
		r.ctstateTerm(info.MatchFlags, info.InvertFlags, uint32(info.StateMask))
		return
	case *xt.ConntrackMtinfo3:
		r.ctstateTerm(info.MatchFlags, info.InvertFlags, uint32(info.StateMask))
		return
	case *xt.AddrType:
		r.addrTypeTerms(info.Source, info.Dest, info.InvertSource, info.InvertDest)
		return
	case *xt.AddrTypeV1:
		r.addrTypeTerms(info.Source, info.Dest, info.Flags&0x1 != 0, info.Flags&0x2 != 0)
		return
	}
	r.terms = append(r.terms, term{match: "xt " + m.Name, ipt: "-m " + m.Name, nft: "xt " + m.Name})
}

// Inversion flags of xt_tcp/xt_udp: source and destination port.
const (
	xtInvSrcPort = 0x01
	xtInvDstPort = 0x02
)

func (r *renderer) portTerms(proto string, src, dst [2]uint16, inv uint8) {
	add := func(name string, ports [2]uint16, negated bool) {
		if ports[0] == 0 && ports[1] == 0xffff {
			return // the whole range: no constraint
		}
		val, iptVal := fmt.Sprint(ports[0]), fmt.Sprint(ports[0])
		if ports[0] != ports[1] {
			val, iptVal = fmt.Sprintf("%d-%d", ports[0], ports[1]), fmt.Sprintf("%d:%d", ports[0], ports[1])
		}
		t := term{match: name + " " + val, ipt: "-m " + proto + " --" + name + " " + iptVal, nft: proto + " " + name + " " + val}
		if negated {
			t = term{match: "! " + t.match, ipt: "-m " + proto + " ! --" + name + " " + iptVal, nft: proto + " " + name + " != " + val}
		}
		r.terms = append(r.terms, t)
	}
	add("sport", src, inv&xtInvSrcPort != 0)
	add("dport", dst, inv&xtInvDstPort != 0)
}

func (r *renderer) ctstateTerm(flags, invert uint16, states uint32) {
	if flags&uint16(xt.ConntrackState) == 0 {
		r.terms = append(r.terms, term{match: "xt conntrack", ipt: "-m conntrack", nft: "xt conntrack"})
		return
	}
	val := ctStates(states, xtCtStateNames)
	t := term{match: "ctstate " + val, ipt: "-m conntrack --ctstate " + val, nft: "ct state " + strings.ToLower(val)}
	if invert&uint16(xt.ConntrackState) != 0 {
		t = term{match: "! ctstate " + val, ipt: "-m conntrack ! --ctstate " + val, nft: "ct state != " + strings.ToLower(val)}
	}
	r.terms = append(r.terms, t)
}

// addrTypeNames are xt_addrtype's bits (1 << RTN_*), as iptables prints them.
var addrTypeNames = []stateName{{1 << 0, "UNSPEC"}, {1 << 1, "UNICAST"}, {1 << 2, "LOCAL"}, {1 << 3, "BROADCAST"},
	{1 << 4, "ANYCAST"}, {1 << 5, "MULTICAST"}, {1 << 6, "BLACKHOLE"}, {1 << 7, "UNREACHABLE"},
	{1 << 8, "PROHIBIT"}, {1 << 9, "THROW"}, {1 << 10, "NAT"}, {1 << 11, "XRESOLVE"}}

func (r *renderer) addrTypeTerms(src, dst uint16, invSrc, invDst bool) {
	add := func(dir, fib string, bits uint16, negated bool) {
		if bits == 0 {
			return
		}
		val := ctStates(uint32(bits), addrTypeNames)
		t := term{match: dir + "-type " + val, ipt: "-m addrtype --" + dir + "-type " + val,
			nft: "fib " + fib + " type " + strings.ToLower(val)}
		if negated {
			t = term{match: "! " + t.match, ipt: "-m addrtype ! --" + dir + "-type " + val,
				nft: "fib " + fib + " type != " + strings.ToLower(val)}
		}
		r.terms = append(r.terms, t)
	}
	add("src", "saddr", src, invSrc)
	add("dst", "daddr", dst, invDst)
}

// xtTarget decodes iptables targets kept as compat "target" expressions.
// Terminal NAT and REJECT targets become the verdict; others (MARK, LOG, ...)
// act and let the packet go on, so they are a piece of the rule, "xt <name>".
func (r *renderer) xtTarget(t *expr.Target) {
	switch t.Name {
	case "MASQUERADE":
		ipt := "-j MASQUERADE"
		if nat, ok := t.Info.(*xt.NatIPv4MultiRangeCompat); ok && len(*nat) == 1 &&
			xt.NatRangeFlags((*nat)[0].Flags)&xt.NatRangeProtoRandomFully != 0 {
			ipt += " --random-fully"
		}
		r.verdict = term{match: "masquerade", ipt: ipt, nft: "masquerade"}
	case "DNAT", "SNAT":
		r.to = natTo(t.Info)
		verb := strings.ToLower(t.Name)
		opt := "--to-destination"
		if t.Name == "SNAT" {
			opt = "--to-source"
		}
		r.verdict = term{match: verb, ipt: "-j " + t.Name + " " + opt + " " + r.to, nft: verb + " to " + r.to}
	case "REJECT":
		r.verdict = term{match: "reject", ipt: "-j REJECT", nft: "reject"}
	case "REDIRECT":
		r.verdict = term{match: "redirect", ipt: "-j REDIRECT", nft: "redirect"}
	default:
		r.terms = append(r.terms, term{ipt: "-j " + t.Name, nft: "xt " + t.Name})
	}
}

// natTo prints an xt NAT target's range: "10.244.1.3:8080", "10.0.0.1-10.0.0.9".
func natTo(info xt.InfoAny) string {
	var flags uint
	var minIP, maxIP []byte
	var minPort, maxPort uint16
	switch n := info.(type) {
	case *xt.NatIPv4MultiRangeCompat:
		if len(*n) == 0 {
			return ""
		}
		rg := (*n)[0]
		flags, minIP, maxIP, minPort, maxPort = rg.Flags, rg.MinIP, rg.MaxIP, rg.MinPort, rg.MaxPort
	case *xt.NatRange:
		flags, minIP, maxIP, minPort, maxPort = n.Flags, n.MinIP, n.MaxIP, n.MinPort, n.MaxPort
	case *xt.NatRange2:
		flags, minIP, maxIP, minPort, maxPort = n.Flags, n.MinIP, n.MaxIP, n.MinPort, n.MaxPort
	default:
		return ""
	}
	return formatNATRange(xt.NatRangeFlags(flags), minIP, maxIP, minPort, maxPort)
}

func formatNATRange(flags xt.NatRangeFlags, minIP, maxIP []byte, minPort, maxPort uint16) string {
	var s string
	if flags&xt.NatRangeMapIPs != 0 {
		lo, _ := netip.AddrFromSlice(minIP)
		hi, _ := netip.AddrFromSlice(maxIP)
		lo, hi = lo.Unmap(), hi.Unmap()
		s = lo.String()
		if hi.IsValid() && hi != lo {
			s += "-" + hi.String()
		}
		if lo.Is6() && flags&xt.NatRangeProtoSpecified != 0 {
			s = "[" + s + "]"
		}
	}
	if flags&xt.NatRangeProtoSpecified != 0 {
		s += fmt.Sprintf(":%d", minPort)
		if maxPort != minPort {
			s += fmt.Sprintf("-%d", maxPort)
		}
	}
	return s
}

// nat renders a native nat expression; its address and port come from
// registers an immediate loaded.
func (r *renderer) nat(n *expr.NAT) {
	verb := "snat"
	if n.Type == expr.NATTypeDestNAT {
		verb = "dnat"
	}
	var flags xt.NatRangeFlags
	var minIP, maxIP []byte
	var minPort, maxPort uint16
	if n.RegAddrMin != 0 {
		flags |= xt.NatRangeMapIPs
		minIP = r.regs[n.RegAddrMin].data
		maxIP = minIP
		if n.RegAddrMax != 0 {
			maxIP = r.regs[n.RegAddrMax].data
		}
	}
	if n.RegProtoMin != 0 {
		flags |= xt.NatRangeProtoSpecified
		if d := r.regs[n.RegProtoMin].data; len(d) == 2 {
			minPort = binary.BigEndian.Uint16(d)
		}
		maxPort = minPort
		if d := r.regs[n.RegProtoMax].data; n.RegProtoMax != 0 && len(d) == 2 {
			maxPort = binary.BigEndian.Uint16(d)
		}
	}
	r.to = formatNATRange(flags, minIP, maxIP, minPort, maxPort)
	nft := verb
	if r.to != "" {
		nft += " to " + r.to
	}
	r.verdict = term{match: verb, nft: nft, ipt: "-j " + strings.ToUpper(verb) + " --to " + r.to}
}
