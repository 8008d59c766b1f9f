package nodeinfo

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path/pathtest"
)

func snapshot(t *testing.T, nsPath string, spec v1alpha1.NodeInfoSpec) v1alpha1.CheckResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &Check{Netns: nsPath}
	res := c.Run(ctx, v1alpha1.CheckSpec{ID: "n1", Check: v1alpha1.CheckNodeInfo, NodeInfo: &spec}, nil)
	if res.Status == v1alpha1.StatusError || res.NodeInfo == nil {
		t.Fatalf("nodeinfo = %s: %s", res.Status, res.Error)
	}
	t.Logf("%s: %s", res.Status, res.Summary)
	return res
}

func linkNamed(t *testing.T, r *v1alpha1.NodeInfoResult, name string) v1alpha1.NodeLink {
	t.Helper()
	for _, l := range r.Links {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no link %s among %+v", name, r.Links)
	return v1alpha1.NodeLink{}
}

// A node wired like flannel's VXLAN backend (pathtest): the snapshot must show
// flannel.1 with its VNI, local IP, port and underlay, the onlink route to the
// peer's pod subnet, and the neighbour and FDB entries that reach the peer.
func TestSnapshotOfAFlannelNode(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	a, b := topo.A, topo.B
	res := snapshot(t, a.HostNetns(), v1alpha1.NodeInfoSpec{Phase: v1alpha1.NodeInfoBefore})
	r := res.NodeInfo
	if res.Status != v1alpha1.StatusPass || r.Phase != v1alpha1.NodeInfoBefore || r.Hostname == "" {
		t.Errorf("status %s, phase %q, hostname %q", res.Status, r.Phase, r.Hostname)
	}
	if len(r.Errors) > 0 {
		t.Errorf("errors: %v", r.Errors)
	}

	vx := linkNamed(t, r, pathtest.VXLANDev)
	wantVX := v1alpha1.NodeVXLAN{VNI: pathtest.VNI, Local: a.UnderlayIP.String(), DstPort: pathtest.VXLANPort,
		Underlay: pathtest.UnderlayDev, UnderlayMTU: pathtest.UnderlayMTU}
	if vx.Kind != "vxlan" || vx.MTU != pathtest.OverlayMTU || vx.MAC != a.VXLANMAC || vx.VXLAN == nil || *vx.VXLAN != wantVX ||
		!slices.Contains(vx.Addrs, a.VXLANIP.String()+"/32") {
		t.Errorf("flannel.1 = %+v vxlan %+v; want %+v", vx, vx.VXLAN, wantVX)
	}
	br := linkNamed(t, r, pathtest.BridgeDev)
	veth := linkNamed(t, r, a.HostVeth)
	if br.Kind != "bridge" || !slices.Contains(br.Addrs, a.PodGateway.String()+"/24") || veth.Kind != "veth" ||
		veth.Master != pathtest.BridgeDev || veth.OperState != "up" {
		t.Errorf("cni0 = %+v, host veth = %+v", br, veth)
	}

	wantRoute := v1alpha1.NodeRoute{Dst: b.PodCIDR.String(), Gw: b.VXLANIP.String(), Dev: pathtest.VXLANDev, Onlink: true}
	if !slices.Contains(r.Routes, wantRoute) {
		t.Errorf("routes %+v lack %+v", r.Routes, wantRoute)
	}
	wantNeigh := v1alpha1.NeighborEntry{Link: pathtest.VXLANDev, IP: b.VXLANIP.String(), MAC: b.VXLANMAC, State: "PERMANENT"}
	if !slices.Contains(r.Neighbors, wantNeigh) {
		t.Errorf("neighbours %+v lack %+v", r.Neighbors, wantNeigh)
	}
	if !slices.ContainsFunc(r.FDB, func(f v1alpha1.FDBEntry) bool {
		return f.Link == pathtest.VXLANDev && f.MAC == b.VXLANMAC && f.Dst == b.UnderlayIP.String()
	}) {
		t.Errorf("FDB %+v lacks %s -> %s", r.FDB, b.VXLANMAC, b.UnderlayIP)
	}

	for _, key := range []string{v1alpha1.SysctlIPForward, v1alpha1.SysctlTCPTimestamps,
		v1alpha1.ConfSysctl(v1alpha1.ConfAll, v1alpha1.ConfRPFilter), v1alpha1.ConfSysctl(v1alpha1.ConfDefault, v1alpha1.ConfForwarding),
		v1alpha1.ConfSysctl(pathtest.VXLANDev, v1alpha1.ConfRPFilter), v1alpha1.ConfSysctl(a.HostVeth, v1alpha1.ConfForwarding)} {
		if _, ok := r.Sysctls[key]; !ok {
			t.Errorf("sysctl %s missing from %v", key, r.Sysctls)
		}
	}
	if r.Sysctls[v1alpha1.SysctlIPForward] != "1" {
		t.Errorf("ip_forward = %q, pathtest turned it on", r.Sysctls[v1alpha1.SysctlIPForward])
	}
	if r.Firewall != nil {
		t.Errorf("firewall read without being asked for")
	}
}

// Per-namespace values are the namespace's, not the probe's: turning
// forwarding and rp_filter off in one node shows there, and only there.
func TestSnapshotReadsTheNamespacesOwnSysctls(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Host.Sysctl(t, "net.ipv4.ip_forward", "0")
	setRPFilter(t, topo.B.Host, pathtest.VXLANDev, "1")
	setRPFilter(t, topo.A.Host, pathtest.VXLANDev, "2")
	spec := v1alpha1.NodeInfoSpec{Interfaces: []string{pathtest.VXLANDev}}
	resB := snapshot(t, topo.B.HostNetns(), spec)
	resA := snapshot(t, topo.A.HostNetns(), spec)
	rpKey := v1alpha1.ConfSysctl(pathtest.VXLANDev, v1alpha1.ConfRPFilter)
	if resB.Status != v1alpha1.StatusWarn || !strings.Contains(resB.Summary, "ip_forward=0") || resB.NodeInfo.Sysctls[rpKey] != "1" {
		t.Errorf("node B: %s %q, %s=%q", resB.Status, resB.Summary, rpKey, resB.NodeInfo.Sysctls[rpKey])
	}
	if resA.Status != v1alpha1.StatusPass || resA.NodeInfo.Sysctls[rpKey] != "2" {
		t.Errorf("node A: %s %q, %s=%q", resA.Status, resA.Summary, rpKey, resA.NodeInfo.Sysctls[rpKey])
	}
	// Interfaces limits the per-link keys to the ones named.
	if _, ok := resA.NodeInfo.Sysctls[v1alpha1.ConfSysctl(topo.A.HostVeth, v1alpha1.ConfRPFilter)]; ok {
		t.Errorf("per-link sysctl of an interface not asked for: %v", resA.NodeInfo.Sysctls)
	}
}

// setRPFilter writes a per-link sysctl whose link name has a dot, which
// netnstest.Sysctl's dotted keys cannot name.
func setRPFilter(t *testing.T, ns *netnstest.NS, link, value string) {
	t.Helper()
	path := "/proc/sys/net/ipv4/conf/" + link + "/rp_filter"
	if err := ns.Do(func() error { return os.WriteFile(path, []byte(value), 0o644) }); err != nil {
		t.Fatal(err)
	}
}

// nodeARules is a FORWARD path the way kube-proxy and an operator's fault
// leave it on node A, set up with the real iptables (nf_tables backend).
var nodeARules = [][]string{
	{"-t", "nat", "-A", "POSTROUTING", "-s", "10.253.0.0/16", "!", "-d", "10.253.0.0/16", "-j", "MASQUERADE"},
	{"-t", "nat", "-A", "PREROUTING", "-d", "10.96.0.10/32", "-p", "udp", "--dport", "53", "-j", "DNAT", "--to-destination", "10.253.2.5:53"},
	{"-A", "FORWARD", "-p", "tcp", "--dport", "8080", "-j", "REJECT"},
	{"-N", "KUBE-SVC-ABC"},
	{"-A", "FORWARD", "-i", "cni0", "!", "-o", "cni0", "-m", "comment", "--comment", "default/web:http", "-j", "KUBE-SVC-ABC"},
	{"-A", "KUBE-SVC-ABC", "-p", "tcp", "--dport", "80", "-j", "ACCEPT"},
	{"-A", "KUBE-SVC-ABC", "-m", "statistic", "--mode", "random", "--probability", "0.25", "-j", "RETURN"},
	{"-A", "FORWARD", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
	{"-A", "FORWARD", "-j", "DROP", "-m", "comment", "--comment", "x"},
}

func findRule(t *testing.T, fw *v1alpha1.Firewall, family, table, chain, text string) v1alpha1.FirewallRule {
	t.Helper()
	c := findChain(t, fw, family, table, chain)
	for _, r := range c.Rules {
		if r.Text == text {
			return r
		}
	}
	var texts []string
	for _, r := range c.Rules {
		texts = append(texts, r.Text)
	}
	t.Fatalf("%s %s %s has no rule %q; rules:\n%s", family, table, chain, text, strings.Join(texts, "\n"))
	return v1alpha1.FirewallRule{}
}

func findChain(t *testing.T, fw *v1alpha1.Firewall, family, table, chain string) v1alpha1.FirewallChain {
	t.Helper()
	for _, tb := range fw.Tables {
		if tb.Family != family || tb.Name != table {
			continue
		}
		for _, c := range tb.Chains {
			if c.Name == chain {
				return c
			}
		}
	}
	t.Fatalf("no chain %s %s %s in %+v", family, table, chain, fw.Tables)
	return v1alpha1.FirewallChain{}
}

// The ruleset is read over nftables netlink with its counters: two snapshots
// around real traffic through node A show which rules the packets hit.
func TestFirewallOfARealRuleset(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	a, b := topo.A, topo.B
	for _, rule := range nodeARules {
		a.Host.IPTables(t, rule...)
	}
	a.Host.IPTables(t, "-P", "FORWARD", "DROP")
	if _, err := exec.LookPath("nft"); err == nil {
		a.Host.Exec(t, "nft", "add table inet netcheck_test")
		a.Host.Exec(t, "nft", "add chain inet netcheck_test c { type filter hook input priority 10; policy accept; }")
		a.Host.Exec(t, "nft", `add rule inet netcheck_test c ip saddr 192.0.2.0/24 tcp dport { 80, 443 } counter drop comment "native"`)
	}
	server := b.PodIP.String()
	b.Pod.ListenTCP(t, server+":80")

	spec := v1alpha1.NodeInfoSpec{Firewall: true, Phase: v1alpha1.NodeInfoBefore}
	before := snapshot(t, a.HostNetns(), spec).NodeInfo
	if before.Firewall.Error != "" || before.Firewall.Backend != "nftables" {
		t.Fatalf("firewall: backend %q, error %q", before.Firewall.Backend, before.Firewall.Error)
	}

	// Traffic from pod A: one connection allowed by KUBE-SVC-ABC, one rejected.
	dial := func(port string) error {
		return a.Pod.Do(func() error {
			c, err := net.DialTimeout("tcp", server+":"+port, 3*time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
	}
	if err := dial("80"); err != nil {
		t.Fatalf("connect through KUBE-SVC-ABC: %v", err)
	}
	if err := dial("8080"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect to 8080: %v, want refused by the REJECT rule", err)
	}
	spec.Phase = v1alpha1.NodeInfoAfter
	afterRes := snapshot(t, a.HostNetns(), spec)
	after := afterRes.NodeInfo
	if after.Phase != v1alpha1.NodeInfoAfter || !strings.Contains(afterRes.Summary, "tables/") {
		t.Errorf("after: phase %q, summary %q", after.Phase, afterRes.Summary)
	}

	fwd := findChain(t, after.Firewall, "ip", "filter", "FORWARD")
	if fwd.Hook != "forward" || fwd.Type != "filter" || fwd.Policy != "drop" || fwd.Priority != 0 {
		t.Errorf("FORWARD chain = hook %q type %q policy %q priority %d", fwd.Hook, fwd.Type, fwd.Policy, fwd.Priority)
	}
	type want struct {
		family, table, chain, text string
		verdict, to, comment       string
		match                      []string
		hit                        bool // the traffic above must move its counter
	}
	for _, w := range []want{
		{"ip", "nat", "POSTROUTING", "-s 10.253.0.0/16 ! -d 10.253.0.0/16 -j MASQUERADE", "masquerade", "", "",
			[]string{"saddr 10.253.0.0/16", "! daddr 10.253.0.0/16"}, false},
		{"ip", "nat", "PREROUTING", "-p udp -d 10.96.0.10 --dport 53 -j DNAT --to-destination 10.253.2.5:53", "dnat", "10.253.2.5:53", "",
			[]string{"proto udp", "daddr 10.96.0.10", "dport 53"}, false},
		{"ip", "filter", "FORWARD", "-p tcp --dport 8080 -j REJECT", "reject", "", "", []string{"proto tcp", "dport 8080"}, true},
		{"ip", "filter", "FORWARD", `-i cni0 ! -o cni0 -m comment --comment "default/web:http" -j KUBE-SVC-ABC`, "jump KUBE-SVC-ABC", "",
			"default/web:http", []string{"iifname cni0", "! oifname cni0"}, true},
		{"ip", "filter", "KUBE-SVC-ABC", "-p tcp --dport 80 -j ACCEPT", "accept", "", "", []string{"proto tcp", "dport 80"}, true},
		{"ip", "filter", "KUBE-SVC-ABC", "-m statistic -j RETURN", "return", "", "", []string{"xt statistic"}, false},
		{"ip", "filter", "FORWARD", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "accept", "", "",
			[]string{"ctstate RELATED,ESTABLISHED"}, true},
		{"ip", "filter", "FORWARD", `-m comment --comment "x" -j DROP`, "drop", "", "x", nil, false},
	} {
		r0 := findRule(t, before.Firewall, w.family, w.table, w.chain, w.text)
		r1 := findRule(t, after.Firewall, w.family, w.table, w.chain, w.text)
		if r1.Verdict != w.verdict || r1.To != w.to || r1.Comment != w.comment || !slices.Equal(r1.Match, w.match) {
			t.Errorf("%s: verdict %q to %q comment %q match %q; want %q %q %q %q", w.text, r1.Verdict, r1.To, r1.Comment, r1.Match,
				w.verdict, w.to, w.comment, w.match)
		}
		if r0.Handle != r1.Handle || r1.Handle == 0 {
			t.Errorf("%s: handle %d then %d", w.text, r0.Handle, r1.Handle)
		}
		if moved := r1.Packets > r0.Packets && r1.Bytes > r0.Bytes; moved != w.hit {
			t.Errorf("%s: packets %d -> %d, bytes %d -> %d; want hit=%v", w.text, r0.Packets, r1.Packets, r0.Bytes, r1.Bytes, w.hit)
		}
	}
	if _, err := exec.LookPath("nft"); err == nil {
		r := findRule(t, after.Firewall, "inet", "netcheck_test", "c", `meta nfproto ipv4 ip saddr 192.0.2.0/24 meta l4proto tcp th dport @__set0 drop comment "native"`)
		if r.Comment != "native" || r.Verdict != "drop" {
			t.Errorf("nft-native rule = %+v", r)
		}
	}
	if ct := after.Conntrack; ct == nil || ct.Count < 1 {
		t.Errorf("conntrack = %+v, want the tracked connections counted", ct)
	}

	// The chain filter keeps the matching chains' rules and only the policy of
	// other base chains.
	filtered := snapshot(t, a.HostNetns(), v1alpha1.NodeInfoSpec{Firewall: true, FirewallChains: []string{"KUBE-"}}).NodeInfo
	if c := findChain(t, filtered.Firewall, "ip", "filter", "FORWARD"); c.Policy != "drop" || len(c.Rules) != 0 {
		t.Errorf("filtered FORWARD = policy %q, %d rules; want the policy alone", c.Policy, len(c.Rules))
	}
	if c := findChain(t, filtered.Firewall, "ip", "filter", "KUBE-SVC-ABC"); len(c.Rules) != 2 {
		t.Errorf("filtered KUBE-SVC-ABC has %d rules, want 2", len(c.Rules))
	}
}

// Rules of the legacy iptables backend are invisible to nftables: the
// snapshot must say they exist instead of looking clean.
func TestFirewallNotesLegacyIptables(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	if _, err := exec.LookPath("iptables-legacy"); err != nil {
		t.Skip("needs iptables-legacy")
	}
	ns := netnstest.New(t)
	ns.Exec(t, "iptables-legacy", "-w", "-A", "INPUT", "-j", "ACCEPT")
	fw := snapshot(t, "/run/netns/"+ns.Name, v1alpha1.NodeInfoSpec{Firewall: true}).NodeInfo.Firewall
	if !strings.Contains(fw.Error, "legacy iptables tables in use (ip filter)") {
		t.Errorf("firewall error %q, want the legacy filter table named", fw.Error)
	}
}

// The node pod's case: no Netns, the probe's own namespace, read without
// setns. Run on a thread inside node A, the check must describe node A.
func TestSnapshotOfTheProbesOwnNamespace(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.A.Host.IPTables(t, "-A", "FORWARD", "-i", "cni0", "-j", "ACCEPT")
	var res v1alpha1.CheckResult
	err := topo.A.Host.Do(func() error {
		res = (&Check{}).Run(context.Background(), v1alpha1.CheckSpec{ID: "n", Check: v1alpha1.CheckNodeInfo,
			NodeInfo: &v1alpha1.NodeInfoSpec{Firewall: true}}, nil)
		return nil
	})
	if err != nil || res.Status != v1alpha1.StatusPass || res.NodeInfo == nil {
		t.Fatalf("run in node A: %v; %s %s", err, res.Status, res.Error)
	}
	r := res.NodeInfo
	if vx := linkNamed(t, r, pathtest.VXLANDev); vx.VXLAN == nil || vx.VXLAN.Local != topo.A.UnderlayIP.String() {
		t.Errorf("flannel.1 = %+v, want node A's", vx)
	}
	if r.Sysctls[v1alpha1.SysctlIPForward] != "1" || len(r.Errors) > 0 {
		t.Errorf("ip_forward %q, errors %v", r.Sysctls[v1alpha1.SysctlIPForward], r.Errors)
	}
	findRule(t, r.Firewall, "ip", "filter", "FORWARD", "-i cni0 -j ACCEPT")
}
