//go:build linux

package nodeinfo

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/google/nftables/xt"
)

// The expression lists below are what the kernel returns for rules iptables
// v1.8.9 (nf_tables) and nft 1.0 create; TestFirewallOfARealRuleset checks the
// same renderings end to end against rules created with those tools.

func payload(base expr.PayloadBase, off, n uint32) *expr.Payload {
	return &expr.Payload{DestRegister: 1, Base: base, Offset: off, Len: n}
}

func cmpEq(data ...byte) *expr.Cmp   { return &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: data} }
func cmpNeq(data ...byte) *expr.Cmp  { return &expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: data} }
func meta(k expr.MetaKey) *expr.Meta { return &expr.Meta{Key: k, Register: 1} }
func counter(p, b uint64) *expr.Counter {
	return &expr.Counter{Packets: p, Bytes: b}
}
func host32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func ifnameData(s string) []byte {
	return append([]byte(s), make([]byte, 16-len(s))...)
}

func TestRenderRule(t *testing.T) {
	nh, th := expr.PayloadBaseNetworkHeader, expr.PayloadBaseTransportHeader
	comment := xt.Comment("kube-system/kube-dns:dns cluster IP")
	natRange := &xt.NatRange2{NatRange: xt.NatRange{Flags: uint(xt.NatRangeMapIPs | xt.NatRangeProtoSpecified),
		MinIP: net.ParseIP("10.244.1.2"), MaxIP: net.ParseIP("10.244.1.2"), MinPort: 53, MaxPort: 53}}
	masqFully := &xt.NatIPv4MultiRangeCompat{{Flags: uint(xt.NatRangeProtoRandomFully)}}
	for _, tc := range []struct {
		name  string
		fam   nftables.TableFamily
		exprs []expr.Any
		udata []byte
		ipt   bool
		want  ruleView
	}{
		{
			name: "MASQUERADE of pod traffic leaving the pod network",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{payload(nh, 12, 2), cmpEq(10, 244), payload(nh, 16, 2), cmpNeq(10, 244),
				counter(3, 180), &expr.Target{Name: "MASQUERADE", Info: &xt.NatIPv4MultiRangeCompat{{}}}},
			want: ruleView{Text: "-s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE", Verdict: "masquerade",
				Match: []string{"saddr 10.244.0.0/16", "! daddr 10.244.0.0/16"}, Packets: 3, Bytes: 180},
		},
		{
			name: "REJECT by protocol and port",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{meta(expr.MetaKeyL4PROTO), cmpEq(6), payload(th, 2, 2), cmpEq(0x1f, 0x90),
				counter(0, 0), &expr.Target{Name: "REJECT", Info: &xt.Unknown{}}},
			want: ruleView{Text: "-p tcp --dport 8080 -j REJECT", Verdict: "reject", Match: []string{"proto tcp", "dport 8080"}},
		},
		{
			name: "DROP with an iptables comment",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{&expr.Match{Name: "comment", Info: &comment}, counter(7, 420), &expr.Verdict{Kind: expr.VerdictDrop}},
			want: ruleView{Text: `-m comment --comment "kube-system/kube-dns:dns cluster IP" -j DROP`, Verdict: "drop",
				Comment: "kube-system/kube-dns:dns cluster IP", Packets: 7, Bytes: 420},
		},
		{
			name: "jump on interfaces, one negated, one a prefix",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{meta(expr.MetaKeyIIFNAME), cmpEq(append([]byte("cni0"), 0)...),
				meta(expr.MetaKeyOIFNAME), cmpNeq([]byte("veth")...), counter(0, 0),
				&expr.Verdict{Kind: expr.VerdictJump, Chain: "KUBE-SVC-ABC"}},
			want: ruleView{Text: "-i cni0 ! -o veth+ -j KUBE-SVC-ABC", Verdict: "jump KUBE-SVC-ABC",
				Match: []string{"iifname cni0", "! oifname veth+"}},
		},
		{
			name: "kube-proxy DNAT to an endpoint",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{meta(expr.MetaKeyL4PROTO), cmpEq(17), payload(nh, 16, 4), cmpEq(10, 96, 0, 10),
				payload(th, 2, 2), cmpEq(0, 53), counter(1, 60), &expr.Target{Name: "DNAT", Rev: 2, Info: natRange}},
			want: ruleView{Text: "-p udp -d 10.96.0.10 --dport 53 -j DNAT --to-destination 10.244.1.2:53", Verdict: "dnat",
				To: "10.244.1.2:53", Match: []string{"proto udp", "daddr 10.96.0.10", "dport 53"}, Packets: 1, Bytes: 60},
		},
		{
			name: "an extension the probe does not decode, and goto",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{&expr.Match{Name: "statistic", Info: &xt.Unknown{1, 2}}, counter(0, 0),
				&expr.Verdict{Kind: expr.VerdictGoto, Chain: "KUBE-SEP-X"}},
			want: ruleView{Text: "-m statistic -g KUBE-SEP-X", Verdict: "goto KUBE-SEP-X", Match: []string{"xt statistic"}},
		},
		{
			name: "conntrack state, tcp extension port range, MASQUERADE --random-fully and a MARK target",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{
				&expr.Match{Name: "conntrack", Rev: 3, Info: &xt.ConntrackMtinfo3{ConntrackMtinfo2: xt.ConntrackMtinfo2{
					ConntrackMtinfoBase: xt.ConntrackMtinfoBase{MatchFlags: uint16(xt.ConntrackState)}, StateMask: 2 | 4}}},
				&expr.Match{Name: "tcp", Info: &xt.Tcp{SrcPorts: [2]uint16{0, 0xffff}, DstPorts: [2]uint16{30000, 32767}, InvFlags: 0x02}},
				&expr.Target{Name: "MARK", Info: &xt.Unknown{}},
				&expr.Target{Name: "MASQUERADE", Info: masqFully},
			},
			want: ruleView{Text: "-m conntrack --ctstate RELATED,ESTABLISHED -m tcp ! --dport 30000:32767 -j MARK -j MASQUERADE --random-fully",
				Verdict: "masquerade", Match: []string{"ctstate RELATED,ESTABLISHED", "! dport 30000-32767"}},
		},
		{
			name: "addrtype LOCAL, kube-proxy's KUBE-NODEPORTS jump",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{&expr.Match{Name: "addrtype", Rev: 1, Info: &xt.AddrTypeV1{Dest: 1 << 2}},
				&expr.Verdict{Kind: expr.VerdictJump, Chain: "KUBE-NODEPORTS"}},
			want: ruleView{Text: "-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS", Verdict: "jump KUBE-NODEPORTS",
				Match: []string{"dst-type LOCAL"}},
		},
		{
			name: "a prefix that is not byte-aligned uses a bitwise mask; a mark match",
			fam:  nftables.TableFamilyIPv4, ipt: true,
			exprs: []expr.Any{payload(nh, 12, 3), &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 3, Mask: []byte{255, 255, 240}, Xor: []byte{0, 0, 0}},
				cmpEq(10, 244, 16), meta(expr.MetaKeyMARK),
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: host32(0x4000), Xor: host32(0)},
				cmpEq(host32(0x4000)...), &expr.Verdict{Kind: expr.VerdictReturn}},
			want: ruleView{Text: "-s 10.244.16.0/20 -m mark --mark 0x4000/0x4000 -j RETURN", Verdict: "return",
				Match: []string{"saddr 10.244.16.0/20", "mark 0x4000/0x4000"}},
		},
		{
			name: "nft-native rule in an inet table: nfproto, a set, a userdata comment",
			fam:  nftables.TableFamilyINet,
			exprs: []expr.Any{meta(expr.MetaKeyNFPROTO), cmpEq(2), payload(nh, 12, 3), cmpEq(1, 2, 3),
				meta(expr.MetaKeyL4PROTO), cmpEq(6), payload(th, 2, 2),
				&expr.Lookup{SourceRegister: 1, SetName: "__set0"}, counter(2, 120), &expr.Verdict{Kind: expr.VerdictDrop}},
			udata: userdata.AppendString(nil, userdata.TypeComment, "native"),
			want: ruleView{Text: `meta nfproto ipv4 ip saddr 1.2.3.0/24 meta l4proto tcp th dport @__set0 drop comment "native"`,
				Verdict: "drop", Comment: "native", Match: []string{"saddr 1.2.3.0/24", "proto tcp", "dport @__set0"}, Packets: 2, Bytes: 120},
		},
		{
			name: "nft ct state with a mask, and a native dnat from immediates",
			fam:  nftables.TableFamilyIPv4,
			exprs: []expr.Any{&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
				&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: host32(2 | 4), Xor: host32(0)},
				cmpNeq(0, 0, 0, 0), &expr.Immediate{Register: 1, Data: []byte{10, 244, 1, 3}}, &expr.Immediate{Register: 2, Data: []byte{0x1f, 0x90}},
				&expr.NAT{Type: expr.NATTypeDestNAT, RegAddrMin: 1, RegProtoMin: 2}},
			want: ruleView{Text: "ct state established,related dnat to 10.244.1.3:8080", Verdict: "dnat", To: "10.244.1.3:8080",
				Match: []string{"ctstate established,related"}},
		},
		{
			name: "kube-proxy nftables mode: a verdict map on the destination",
			fam:  nftables.TableFamilyIPv4,
			exprs: []expr.Any{payload(nh, 16, 4), payload(th, 2, 2),
				&expr.Lookup{SourceRegister: 1, IsDestRegSet: true, DestRegister: 0, SetName: "service-ips"}},
			want: ruleView{Text: "th dport vmap @service-ips", Verdict: "vmap @service-ips"},
		},
		{
			name: "ip6 addresses and a port range from a range expression",
			fam:  nftables.TableFamilyIPv6,
			exprs: []expr.Any{payload(nh, 24, 16), cmpEq(net.ParseIP("fd00::10")...), payload(th, 2, 2),
				&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{0x75, 0x30}, ToData: []byte{0x7f, 0xff}},
				&expr.Verdict{Kind: expr.VerdictAccept}},
			want: ruleView{Text: "ip6 daddr fd00::10 th dport 30000-32767 accept", Verdict: "accept",
				Match: []string{"daddr fd00::10", "dport 30000-32767"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderRule(tc.fam, tc.exprs, tc.udata, tc.ipt)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("renderRule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrefixString(t *testing.T) {
	for _, tc := range []struct {
		data, mask []byte
		v6         bool
		want       string
	}{
		{[]byte{10, 96, 0, 10}, nil, false, "10.96.0.10"},
		{[]byte{10, 244}, nil, false, "10.244.0.0/16"},
		{[]byte{10}, nil, false, "10.0.0.0/8"},
		{[]byte{10, 244, 16}, []byte{255, 255, 240}, false, "10.244.16.0/20"},
		{[]byte{10, 244, 16}, []byte{255, 0, 255}, false, "10.244.16.0/24"}, // not a netmask: whole bytes
		{[]byte{0xfd, 0}, nil, true, "fd00::/16"},
	} {
		if got := prefixString(tc.data, tc.mask, tc.v6); got != tc.want {
			t.Errorf("prefixString(%v, %v) = %q, want %q", tc.data, tc.mask, got, tc.want)
		}
	}
}
