package faults

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// BreakServiceIP makes a Service's ClusterIP dead on node while its pods keep
// answering on their own IPs, as when kube-proxy on that node lost the
// Service's rules and is not running to put them back: kube-proxy is stopped
// (StopKubeProxy) and every KUBE-SERVICES rule for clusterIP is deleted from
// the node's nat table. Packets to the ClusterIP then go unrewritten, like to
// any unknown ClusterIP (into the lab's guard bridge), and vanish. Cleanup puts
// the rules back, then restarts kube-proxy, whose first sync rewrites its
// chains anyway. It returns the deleted rules (without "-A KUBE-SERVICES").
func BreakServiceIP(t testing.TB, node lab.Node, clusterIP string) [][]string {
	t.Helper()
	StopKubeProxy(t, node)
	netnsPath := node.NetnsPath()
	out, err := iptables(netnsPath, "-t", "nat", "-S", "KUBE-SERVICES")
	if err != nil {
		t.Fatalf("faults: iptables -t nat -S KUBE-SERVICES on %s: %v: %s", node.Name, err, out)
	}
	rules := rulesTo(out, clusterIP)
	if len(rules) == 0 {
		t.Fatalf("faults: %s has no KUBE-SERVICES rule for %s:\n%s", node.Name, clusterIP, out)
	}
	deleted := 0
	// Registered before the deletes, so a failure half-way still restores what went.
	t.Cleanup(func() {
		for _, r := range rules[:deleted] {
			if out, err := iptables(netnsPath, append([]string{"-t", "nat", "-I", "KUBE-SERVICES", "1"}, r...)...); err != nil {
				t.Errorf("faults: restore KUBE-SERVICES %s on %s: %v: %s", strings.Join(r, " "), node.Name, err, out)
			}
		}
	})
	for _, r := range rules {
		if out, err := iptables(netnsPath, append([]string{"-t", "nat", "-D", "KUBE-SERVICES"}, r...)...); err != nil {
			t.Fatalf("faults: delete KUBE-SERVICES %s on %s: %v: %s", strings.Join(r, " "), node.Name, err, out)
		}
		deleted++
	}
	t.Logf("faults: deleted %d KUBE-SERVICES rules for %s on %s", len(rules), clusterIP, node.Name)
	return rules
}

// rulesTo picks the rules of an `iptables -S CHAIN` listing whose destination
// is ip, each as arguments after "-A CHAIN".
func rulesTo(listing, ip string) [][]string {
	var out [][]string
	for _, line := range strings.Split(listing, "\n") {
		args := splitRule(line)
		if len(args) < 3 || args[0] != "-A" {
			continue
		}
		for i := 2; i+1 < len(args); i++ {
			if args[i] == "-d" && (args[i+1] == ip+"/32" || args[i+1] == ip) {
				out = append(out, args[2:])
				break
			}
		}
	}
	return out
}

// splitRule splits one line of iptables -S output into arguments: words, with
// double-quoted strings (comments) as one argument without the quotes.
func splitRule(line string) []string {
	var (
		args   []string
		cur    strings.Builder
		quoted bool
		inWord bool
	)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && quoted && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case ch == '"':
			quoted = !quoted
			inWord = true
		case (ch == ' ' || ch == '\t') && !quoted:
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args
}
