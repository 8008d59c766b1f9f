package lab

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// labChainPrefixes name the chains the cluster creates in the host namespace:
// kube-proxy and the kubelet (KUBE-), flanneld (FLANNEL-), the portmap CNI
// plugin (CNI-). Node 2's rules vanish with its namespace.
var labChainPrefixes = []string{"KUBE-", "FLANNEL-", "CNI-"}

func isLabChain(name string) bool {
	for _, p := range labChainPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// withoutLabChains filters an iptables-save dump: lab chains, the rules in them
// and every rule jumping to them go; everything else stays byte for byte. It
// reports whether anything was removed.
func withoutLabChains(dump string) (string, bool) {
	var out []string
	changed := false
	for _, line := range strings.Split(dump, "\n") {
		if dropLine(line) {
			changed = true
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"), changed
}

func dropLine(line string) bool {
	switch {
	case strings.HasPrefix(line, ":"):
		name, _, _ := strings.Cut(line[1:], " ")
		return isLabChain(name)
	case strings.HasPrefix(line, "-A "):
		fields := strings.Fields(line)
		if isLabChain(fields[1]) {
			return true
		}
		for i := 2; i+1 < len(fields); i++ {
			if (fields[i] == "-j" || fields[i] == "-g" || fields[i] == "--jump" || fields[i] == "--goto") && isLabChain(fields[i+1]) {
				return true
			}
		}
	}
	return false
}

// removeLabIPTables rewrites the host's iptables and ip6tables without the lab's
// chains (kube-proxy --cleanup would only cover kube-proxy's part).
func removeLabIPTables(ctx context.Context) error {
	for _, family := range []string{"iptables", "ip6tables"} {
		dump, err := run(ctx, family+"-save")
		if err != nil {
			return err
		}
		filtered, changed := withoutLabChains(dump)
		if !changed {
			continue
		}
		cmd := exec.CommandContext(ctx, family+"-restore")
		cmd.Stdin = strings.NewReader(filtered)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s-restore: %w: %s", family, err, out)
		}
	}
	return nil
}

// labChainsLeft lists lab chains still present, for verify-clean.
func labChainsLeft(ctx context.Context) ([]string, error) {
	var left []string
	for _, family := range []string{"iptables", "ip6tables"} {
		dump, err := run(ctx, family+"-save")
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(dump, "\n") {
			if strings.HasPrefix(line, ":") && dropLine(line) {
				name, _, _ := strings.Cut(line[1:], " ")
				left = append(left, family+" "+name)
			}
		}
	}
	return left, nil
}
