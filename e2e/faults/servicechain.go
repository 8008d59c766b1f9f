package faults

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// RemovedChain is a kube-proxy chain taken out of a node's nat table.
type RemovedChain struct {
	Chain string
	// Rules are the chain's own rules and Jumps the rules of other chains
	// that jumped to it, as iptables-save printed them.
	Rules, Jumps []string
}

// RemoveServiceChain deletes the Service's KUBE-SVC chain (the one the
// KUBE-SERVICES rule for clusterIP:port jumps to) from node's nat table,
// together with every rule jumping to it: what a node is left with when its
// kube-proxy crashed while someone flushed the Service's rules. kube-proxy
// must be stopped first (StopKubeProxy), or it would write them back at its
// next sync. Cleanup restores the chain and the jumps exactly as saved.
func RemoveServiceChain(t testing.TB, node lab.Node, clusterIP string, port int, protocol string) RemovedChain {
	t.Helper()
	if KubeProxyRunning(node) {
		t.Fatalf("faults: kube-proxy runs on %s: stop it first (StopKubeProxy), or it rewrites the chain", node.Name)
	}
	dump, err := iptablesSave(node.NetnsPath(), "nat")
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	rc := RemovedChain{Chain: serviceChainIn(dump, clusterIP, port, protocol)}
	if rc.Chain == "" {
		t.Fatalf("faults: no KUBE-SERVICES rule for %s:%d/%s on %s", clusterIP, port, protocol, node.Name)
	}
	for _, line := range strings.Split(dump, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "-A" && f[1] == rc.Chain:
			rc.Rules = append(rc.Rules, line)
		case len(f) > 1 && f[0] == "-A" && strings.HasSuffix(line, " -j "+rc.Chain):
			rc.Jumps = append(rc.Jumps, line)
		}
	}
	remove := []string{"*nat"}
	for _, j := range rc.Jumps {
		remove = append(remove, "-D"+strings.TrimPrefix(j, "-A"))
	}
	remove = append(remove, "-F "+rc.Chain, "-X "+rc.Chain, "COMMIT")
	if out, err := iptablesRestore(node.NetnsPath(), remove); err != nil {
		t.Fatalf("faults: remove %s on %s: %v: %s", rc.Chain, node.Name, err, out)
	}
	t.Logf("faults: removed %s (%d rules, %d jumps to it) from %s's nat table", rc.Chain, len(rc.Rules), len(rc.Jumps), node.Name)
	t.Cleanup(func() {
		now, err := iptablesSave(node.NetnsPath(), "nat")
		if err == nil && strings.Contains(now, ":"+rc.Chain+" ") {
			return // kube-proxy came back first and rewrote it
		}
		restore := []string{"*nat", ":" + rc.Chain + " - [0:0]"}
		restore = append(restore, rc.Rules...)
		for _, j := range rc.Jumps {
			restore = append(restore, "-I"+strings.TrimPrefix(j, "-A"))
		}
		if out, err := iptablesRestore(node.NetnsPath(), append(restore, "COMMIT")); err != nil {
			t.Errorf("faults: restore %s on %s: %v: %s", rc.Chain, node.Name, err, out)
		}
	})
	return rc
}

// serviceChainIn finds the chain the KUBE-SERVICES rule for ip:port jumps to.
func serviceChainIn(natDump, ip string, port int, protocol string) string {
	for _, line := range strings.Split(natDump, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" || f[1] != "KUBE-SERVICES" {
			continue
		}
		if optionValue(f, "-d") == ip+"/32" && optionValue(f, "-p") == strings.ToLower(protocol) &&
			optionValue(f, "--dport") == fmt.Sprint(port) {
			return optionValue(f, "-j")
		}
	}
	return ""
}

func optionValue(f []string, name string) string {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == name {
			return f[i+1]
		}
	}
	return ""
}

func iptablesSave(netnsPath, table string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nsenter", "--net="+netnsPath, "--", "iptables-save", "-t", table).Output()
	if err != nil {
		return "", fmt.Errorf("iptables-save -t %s in %s: %w", table, netnsPath, err)
	}
	return string(out), nil
}

// iptablesRestore applies lines with iptables-restore --noflush: quoted
// comments stay intact, and the change is one transaction.
func iptablesRestore(netnsPath string, lines []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", "--net="+netnsPath, "--", "iptables-restore", "-w", "5", "--noflush")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
