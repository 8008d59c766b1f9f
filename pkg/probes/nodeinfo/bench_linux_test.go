package nodeinfo

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// kubeProxyRuleset is what kube-proxy (iptables mode) writes for that many
// Services of two endpoints each: KUBE-SERVICES -> KUBE-SVC (statistic) ->
// KUBE-SEP (MARK for hairpin, DNAT), 3 chains and 7 rules per Service.
func kubeProxyRuleset(services int) string {
	var b strings.Builder
	b.WriteString("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n")
	for s := 0; s < services; s++ {
		fmt.Fprintf(&b, ":KUBE-SVC-%06d - [0:0]\n:KUBE-SEP-%06dA - [0:0]\n:KUBE-SEP-%06dB - [0:0]\n", s, s, s)
	}
	b.WriteString("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n")
	b.WriteString("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n")
	for s := 0; s < services; s++ {
		ip := fmt.Sprintf("10.96.%d.%d", s/250, 1+s%250)
		fmt.Fprintf(&b, "-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment \"ns/svc-%d:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-%06d\n", ip, s, s)
		fmt.Fprintf(&b, "-A KUBE-SVC-%06d -m comment --comment \"ns/svc-%d:http\" -m statistic --mode random --probability 0.5 -j KUBE-SEP-%06dA\n", s, s, s)
		fmt.Fprintf(&b, "-A KUBE-SVC-%06d -m comment --comment \"ns/svc-%d:http\" -j KUBE-SEP-%06dB\n", s, s, s)
		for i, ep := range []string{"A", "B"} {
			epIP := fmt.Sprintf("10.244.%d.%d", s/120, 2*(s%120)+i+1)
			fmt.Fprintf(&b, "-A KUBE-SEP-%06d%s -s %s/32 -j KUBE-MARK-MASQ\n", s, ep, epIP)
			fmt.Fprintf(&b, "-A KUBE-SEP-%06d%s -p tcp -m tcp -j DNAT --to-destination %s:8080\n", s, ep, epIP)
		}
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// BenchmarkSnapshotFirewall reads a node's snapshot with the firewall of a
// cluster of 300 and 1000 Services (one netlink dump per chain), whole and with
// the FirewallChains filter that keeps one Service's chains.
func BenchmarkSnapshotFirewall(b *testing.B) {
	netnstest.SkipUnlessRoot(b)
	if _, err := exec.LookPath("iptables-restore"); err != nil {
		b.Skip("needs iptables-restore")
	}
	for _, services := range []int{300, 1000} {
		ns := netnstest.New(b)
		cmd := exec.Command("ip", "netns", "exec", ns.Name, "iptables-restore", "-w")
		cmd.Stdin = strings.NewReader(kubeProxyRuleset(services))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("iptables-restore: %v: %s", err, out)
		}
		for _, tc := range []struct {
			name   string
			chains []string
		}{{"all", nil}, {"one-service", []string{"KUBE-SERVICES", "KUBE-SVC-000007", "KUBE-SEP-000007"}}} {
			b.Run(fmt.Sprintf("services=%d/%s", services, tc.name), func(b *testing.B) {
				spec := v1alpha1.NodeInfoSpec{Firewall: true, FirewallChains: tc.chains}
				var rules int
				b.ReportAllocs()
				for b.Loop() {
					res, err := Snapshot(context.Background(), spec, "/run/netns/"+ns.Name)
					if err != nil || res.Firewall.Error != "" {
						b.Fatalf("snapshot: %v %+v", err, res.Firewall)
					}
					rules = 0
					for _, t := range res.Firewall.Tables {
						for _, c := range t.Chains {
							rules += len(c.Rules)
						}
					}
				}
				b.ReportMetric(float64(rules), "rules")
			})
		}
	}
}
