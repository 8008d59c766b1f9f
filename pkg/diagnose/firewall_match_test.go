package diagnose

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestParseMatch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want condition
	}{
		{"saddr 10.244.0.0/16", condition{key: "saddr", val: "10.244.0.0/16"}},
		{"! daddr 10.244.0.0/16", condition{key: "daddr", neg: true, val: "10.244.0.0/16"}},
		{"daddr != 10.244.0.0/16", condition{key: "daddr", neg: true, val: "10.244.0.0/16"}},
		{"ip saddr 10.0.0.1", condition{key: "saddr", val: "10.0.0.1"}},
		{"tcp dport { 80, 443 }", condition{key: "dport", val: "80,443"}},
		{"dport 30000-32767", condition{key: "dport", val: "30000-32767"}},
		{"! dport 30000-32767", condition{key: "dport", neg: true, val: "30000-32767"}},
		{"proto tcp", condition{key: "proto", val: "tcp"}},
		{"meta l4proto udp", condition{key: "proto", val: "udp"}},
		{"tcp", condition{key: "proto", val: "tcp"}},
		{"iifname cni0", condition{key: "iif", val: "cni0"}},
		{"oifname veth+", condition{key: "oif", val: "veth+"}},
		{"mark 0x4000/0x4000", condition{key: "mark", val: "0x4000/0x4000"}},
		{"! mark 0x4000/0x4000", condition{key: "mark", neg: true, val: "0x4000/0x4000"}},
		{"ctstate RELATED,ESTABLISHED", condition{}},
		{"xt statistic", condition{}},
		{"dst-type LOCAL", condition{}},
	} {
		if got := parseMatch(tc.in); got != tc.want {
			t.Errorf("parseMatch(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseIPTablesText(t *testing.T) {
	got := parseIPTablesText(`-A FORWARD ! -s 10.244.0.0/16 -d 10.244.1.5/32 -p tcp -m comment --comment "x y" -m tcp --dport 8080 -m conntrack --ctstate NEW -j REJECT --reject-with tcp-reset`)
	want := []condition{
		{key: "saddr", neg: true, val: "10.244.0.0/16"},
		{key: "daddr", val: "10.244.1.5/32"},
		{key: "proto", val: "tcp"},
		{key: "dport", val: "8080"},
		{val: "NEW"}, // --ctstate: not judged
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(condition{})); diff != "" {
		t.Errorf("parseIPTablesText (-want +got):\n%s", diff)
	}
}

func TestMatchRule(t *testing.T) {
	podToPod := flow{src: netip.MustParseAddr("10.244.0.5"), dst: netip.MustParseAddr("10.244.1.5"), dport: 8080, proto: "tcp"}
	for _, tc := range []struct {
		name string
		rule v1alpha1.FirewallRule
		want tri
	}{
		{"exact drop", fixture.Rule(1, "", "drop", "", 0, "daddr 10.244.1.5", "proto tcp", "dport 8080"), yes},
		{"other port", fixture.Rule(1, "", "drop", "", 0, "daddr 10.244.1.5", "proto tcp", "dport 9090"), no},
		{"udp", fixture.Rule(1, "", "drop", "", 0, "proto udp"), no},
		{"pod CIDR excluded", fixture.Rule(1, "", "masquerade", "", 0, "saddr 10.244.0.0/16", "! daddr 10.244.0.0/16"), no},
		{"no exclusion", fixture.Rule(1, "", "masquerade", "", 0, "saddr 10.244.0.0/16", "! daddr 224.0.0.0/4"), yes},
		{"conntrack state", fixture.Rule(1, "", "drop", "", 0, "ctstate INVALID"), maybe},
		{"unmarked flow", fixture.Rule(1, "", "return", "", 0, "! mark 0x4000/0x4000"), yes},
		{"text only", v1alpha1.FirewallRule{Text: "-d 10.244.1.0/24 -p tcp -m tcp --dport 8000:9000 -j DROP"}, yes},
		{"text, other net", v1alpha1.FirewallRule{Text: "-d 10.244.2.0/24 -j DROP"}, no},
		{"set reference", fixture.Rule(1, "", "drop", "", 0, "daddr @blocked"), maybe},
		{"port range", fixture.Rule(1, "", "drop", "", 0, "dport 30000-32767"), no},
	} {
		if got := matchRule(&tc.rule, podToPod); got != tc.want {
			t.Errorf("%s: matchRule = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestVerdictOf(t *testing.T) {
	for _, tc := range []struct {
		rule        v1alpha1.FirewallRule
		verb, chain string
	}{
		{v1alpha1.FirewallRule{Verdict: "jump KUBE-SVC-X"}, "jump", "KUBE-SVC-X"},
		{v1alpha1.FirewallRule{Verdict: "masquerade"}, "masquerade", ""},
		{v1alpha1.FirewallRule{Text: "-s 10.0.0.0/8 -j MASQUERADE --random-fully"}, "masquerade", ""},
		{v1alpha1.FirewallRule{Text: "-j KUBE-FORWARD"}, "jump", "KUBE-FORWARD"},
		{v1alpha1.FirewallRule{Text: "-m statistic -g KUBE-SEP-X"}, "goto", "KUBE-SEP-X"},
		{v1alpha1.FirewallRule{Text: "counter"}, "", ""},
	} {
		if verb, chain := verdictOf(&tc.rule); verb != tc.verb || chain != tc.chain {
			t.Errorf("verdictOf(%+v) = %q %q, want %q %q", tc.rule, verb, chain, tc.verb, tc.chain)
		}
	}
}

// The walk follows flannel's and kube-proxy's real POSTROUTING: pod-to-pod
// traffic meets flannel's RETURN and is never masqueraded, traffic leaving the
// pod network is, and a MASQUERADE inserted on top catches pod-to-pod too.
func TestWalkNATPostrouting(t *testing.T) {
	src := netip.MustParseAddr(fixture.SourceIP)
	pod := flow{src: src, dst: netip.MustParseAddr("10.244.1.5"), dport: 8080, proto: "tcp"}
	outside := flow{src: src, dst: netip.MustParseAddr("192.168.56.100"), dport: 443, proto: "tcp"}
	node := func(change func(*v1alpha1.NodeInfoResult)) *nodeView {
		info := fixture.NodeInfo(fixture.Node1, "")
		if change != nil {
			change(info)
		}
		res := fixture.NodeInfoResult("n1", fixture.Node1, info)
		return &nodeView{name: fixture.Node1, after: &res}
	}
	hits := func(n *nodeView, f flow) []string {
		var out []string
		for _, h := range n.walkHook("postrouting", "nat", f) {
			s := h.chain.Name + " " + itoa(int(h.rule.Handle))
			if h.certain {
				s += " certain"
			}
			out = append(out, s)
		}
		return out
	}
	healthy := node(nil)
	if got := hits(healthy, pod); len(got) != 0 {
		t.Errorf("pod-to-pod reaches %v on a healthy node", got)
	}
	if diff := cmp.Diff([]string{"FLANNEL-POSTRTG 154 certain"}, hits(healthy, outside)); diff != "" {
		t.Errorf("pod-to-outside (-want +got):\n%s", diff)
	}
	bad := node(func(info *v1alpha1.NodeInfoResult) {
		fixture.InsertRule(info, "nat", "POSTROUTING", fixture.Rule(900, "-s 10.244.0.0/16 -j MASQUERADE", "masquerade", "", 0, "saddr 10.244.0.0/16"))
	})
	if diff := cmp.Diff([]string{"POSTROUTING 900 certain"}, hits(bad, pod)); diff != "" {
		t.Errorf("pod-to-pod with a MASQUERADE on top (-want +got):\n%s", diff)
	}
	// An undecidable RETURN before the rule makes reaching it uncertain.
	unsure := node(func(info *v1alpha1.NodeInfoResult) {
		fixture.InsertRule(info, "nat", "POSTROUTING", fixture.Rule(901, "-m statistic -j MASQUERADE", "masquerade", "", 0, "xt statistic"))
	})
	if diff := cmp.Diff([]string{"POSTROUTING 901"}, hits(unsure, pod)); diff != "" {
		t.Errorf("pod-to-pod with an undecidable MASQUERADE (-want +got):\n%s", diff)
	}
}

func TestKubeProxyChainNames(t *testing.T) {
	// Checked against a live kube-proxy v1.33 (iptables-save -t nat).
	for _, tc := range []struct{ ns, name, port, proto, want string }{
		{"kube-system", "kube-dns", "dns-tcp", "TCP", "KUBE-SVC-ERIFXISQEP7F7OF4"},
		{"kube-system", "kube-dns", "dns", "UDP", "KUBE-SVC-TCOU7JCQXEZGVUNU"},
		{"default", "kubernetes", "https", "TCP", "KUBE-SVC-NPX46M4PTMTKRN6Y"},
		{"default", "web", "http", "TCP", fixture.WebChain},
	} {
		if got, _ := iptablesServiceChains(tc.ns, tc.name, tc.port, tc.proto); got != tc.want {
			t.Errorf("%s/%s:%s %s: %s, want %s", tc.ns, tc.name, tc.port, tc.proto, got, tc.want)
		}
	}
	if got := nftablesServiceChain("default", "web", "http", "TCP"); got != "service-SUSTUHLJ-default/web/tcp/http" {
		t.Errorf("nftables chain = %s", got)
	}
	if _, local := iptablesServiceChains("default", "web", "", "TCP"); local[:9] != "KUBE-SVL-" {
		t.Errorf("local chain %s", local)
	}
}
