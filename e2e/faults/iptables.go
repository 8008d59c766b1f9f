package faults

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// IPTablesRule inserts a rule at the top of table/chain inside the network
// namespace at netnsPath (a node's or a pod's) and deletes it at cleanup.
// rule is what follows the chain on an iptables command line, e.g.
// "-p", "tcp", "--dport", "8080", "-j", "REJECT", "--reject-with", "tcp-reset".
func IPTablesRule(t testing.TB, netnsPath, table, chain string, rule ...string) {
	t.Helper()
	if out, err := iptables(netnsPath, append([]string{"-t", table, "-I", chain, "1"}, rule...)...); err != nil {
		t.Fatalf("faults: iptables -t %s -I %s %s in %s: %v: %s", table, chain, strings.Join(rule, " "), netnsPath, err, out)
	}
	t.Logf("faults: iptables -t %s -I %s %s in %s", table, chain, strings.Join(rule, " "), netnsPath)
	t.Cleanup(func() {
		if out, err := iptables(netnsPath, append([]string{"-t", table, "-D", chain}, rule...)...); err != nil {
			t.Errorf("faults: remove iptables rule from %s/%s in %s: %v: %s", table, chain, netnsPath, err, out)
		}
	})
}

// RandomDrop is a rule body dropping a random share p (0..1] of the packets
// that match, e.g. RandomDrop(0.3, "-p", "udp", "--dport", "53").
func RandomDrop(p float64, match ...string) []string {
	return append(append([]string{}, match...),
		"-m", "statistic", "--mode", "random", "--probability", strconv.FormatFloat(p, 'f', -1, 64), "-j", "DROP")
}

// iptables runs iptables in a network namespace; -w waits for the xtables lock
// that kube-proxy and flanneld also take.
func iptables(netnsPath string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"--net=" + netnsPath, "--", "iptables", "-w", "5"}, args...)
	out, err := exec.CommandContext(ctx, "nsenter", full...).CombinedOutput()
	return string(out), err
}
