//go:build e2e

package netcheck

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// Issue #4: the probe only reads node state. A --mode node --deep run (node
// pods on both nodes, snapshots, namespace scans, traces with captures on
// every hop) leaves both nodes' firewall (iptables-save and nft list ruleset),
// IPv4 sysctls, routes and static neighbour/FDB entries exactly as they were,
// counters aside.
func TestNodeModeLeavesNodeStateUnchanged(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "nodestate")
	nodes := []lab.Node{lab.Node1, lab.Node2}

	before := map[string]nodeState{}
	for _, n := range nodes {
		before[n.Name] = readNodeState(t, n)
	}
	rep := netcheckJSON(t, c, framework.Context(t, nodeModeTimeout), v1alpha1.ExitOK,
		"-n", f.ns, "client", "--to", "svc/web", "--mode", "node", "--deep")
	if n := len(resultsOf(rep, v1alpha1.CheckTrace)); n == 0 {
		t.Fatal("the run traced nothing: it would prove little")
	}
	for _, n := range nodes {
		after := readNodeState(t, n)
		for _, part := range []string{"iptables-save", "nft list ruleset", "sysctls", "routes", "neighbours"} {
			if diff := cmp.Diff(before[n.Name][part], after[part]); diff != "" {
				t.Errorf("node %s: %s changed over the run (-before +after):\n%s", n.Name, part, diff)
			}
		}
	}
	noNodePodsLeft(t, c, f.ns)
}

// nodeState is a node's state by part, each as sorted or ordered lines.
type nodeState map[string][]string

var (
	// iptables-save prints chain counters as [packets:bytes].
	chainCounters = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCounters   = regexp.MustCompile(`counter packets \d+ bytes \d+`)
)

// readNodeState reads node n's state from inside its network namespace.
func readNodeState(t *testing.T, n lab.Node) nodeState {
	t.Helper()
	s := nodeState{}
	ns, err := netns.Open(n.NetnsPath())
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	err = ns.Do(func() error {
		// The tools run on this thread's namespace: exec forks from it.
		for _, cmd := range [][]string{{"iptables-save"}, {"nft", "list", "ruleset"}} {
			out, err := runIn(cmd...)
			if err != nil {
				return err
			}
			var lines []string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
					continue
				}
				l = chainCounters.ReplaceAllString(l, "[-]")
				lines = append(lines, nftCounters.ReplaceAllString(l, "counter"))
			}
			s[strings.Join(cmd, " ")] = lines
		}
		// /proc/sys/net shows the namespace of the thread that opens it.
		sysctls, err := readSysctls("/proc/sys/net/ipv4")
		s["sysctls"] = sysctls
		return err
	})
	if err != nil {
		t.Fatalf("node %s: %v", n.Name, err)
	}
	h, err := ns.NetlinkHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	s["routes"] = routeLines(t, h)
	s["neighbours"] = staticNeighbours(t, h)
	return s
}

func runIn(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// readSysctls reads every IPv4 sysctl as "key = value", leaving out pods'
// veths, which come and go with other tests' pods.
func readSysctls(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(path, root+"/")
		if d.IsDir() {
			if strings.HasPrefix(filepath.Base(path), "veth") {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil // write-only entries (route/flush)
		}
		out = append(out, rel+" = "+strings.Join(strings.Fields(string(b)), " "))
		return nil
	})
	return out, err
}

// routeLines lists the IPv4 routes of every table.
func routeLines(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	routes, err := h.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range routes {
		if l, err := h.LinkByIndex(r.LinkIndex); err == nil && strings.HasPrefix(l.Attrs().Name, "veth") {
			continue
		}
		out = append(out, fmt.Sprintf("table %d %v via %v src %v dev %d scope %d proto %d flags %d", r.Table, r.Dst, r.Gw, r.Src,
			r.LinkIndex, r.Scope, r.Protocol, r.Flags))
	}
	slices.Sort(out)
	return out
}

// staticNeighbours lists the entries traffic does not age: permanent and
// no-ARP neighbours, and every neighbour and FDB entry of the VXLAN device
// (flannel programs them; they are what a wrong VTEP fault changes).
func staticNeighbours(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	var out []string
	for _, family := range []int{unix.AF_INET, unix.AF_BRIDGE} {
		neighs, err := h.NeighList(0, family)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range neighs {
			l, err := h.LinkByIndex(n.LinkIndex)
			if err != nil {
				continue
			}
			static := n.State&(netlink.NUD_PERMANENT|netlink.NUD_NOARP) != 0
			if l.Type() != "vxlan" && !(family == unix.AF_INET && static) {
				continue
			}
			out = append(out, fmt.Sprintf("family %d dev %s ip %v mac %v state %d", family, l.Attrs().Name, n.IP, n.HardwareAddr,
				n.State&(netlink.NUD_PERMANENT|netlink.NUD_NOARP)))
		}
	}
	slices.Sort(out)
	return out
}
