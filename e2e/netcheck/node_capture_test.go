//go:build e2e

package netcheck

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Issue #4: --capture-out writes one pcapng per node that Wireshark's own
// tools open: one interface block per hop of that node, named like the
// report's hops, and the tagged probes (their TCP source ports, the echoes'
// id) on every hop, inside VXLAN on the underlay.
func TestNodeCaptureOut(t *testing.T) {
	for _, tool := range []string{"tshark", "capinfos"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing: apt-get install -y tshark (.ci/run installs it)", tool)
		}
	}
	c := framework.Get(t)
	ns := c.Namespace(t, "capture", nil)
	pods := createReady(t, c, ns, framework.EchoPod("web", lab.Node2.Name), framework.EchoPod("client", lab.Node1.Name, "-idle"))
	dir := t.TempDir()
	ctx := framework.Context(t, nodeModeTimeout)

	rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "-n", ns, "client", "--to", "pod/web", "--mode", "node", "--capture-out", dir)
	tr := traceResultTo(t, rep, hostPort(pods[0].Status.PodIP)).Trace
	var ports []string
	for _, p := range tr.Probes {
		ports = append(ports, fmt.Sprint(p.SrcPort))
	}
	// The ICMP trace's echoes, by their id and sequence numbers.
	echo := icmpTraceTo(t, rep, pods[0].Status.PodIP).Trace
	var seqs []string
	for _, p := range echo.Probes {
		seqs = append(seqs, fmt.Sprint(p.ICMPSeq))
	}
	if len(seqs) == 0 || echo.Probes[0].ICMPID == 0 {
		t.Fatalf("ICMP trace probes %+v", echo.Probes)
	}
	echoID := echo.Probes[0].ICMPID

	for _, node := range []string{lab.Node1.Name, lab.Node2.Name} {
		file := filepath.Join(dir, node+".pcapng")
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("no capture for node %s: %v", node, err)
		}
		var want []string
		for _, h := range tr.Hops {
			if h.Node == node {
				want = append(want, h.Label)
			}
		}
		if got := interfaceNames(t, ctx, file); !slices.Equal(got, want) {
			t.Errorf("%s: interface blocks %q, want one per hop of %s: %q", file, got, node, want)
		}
		// Every hop saw every probe's SYN (decoded through VXLAN on the underlay).
		seen := map[string]map[string]bool{}
		out := tool(t, ctx, "tshark", "-r", file, "-d", "udp.port==8472,vxlan", "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
			"-T", "fields", "-e", "frame.interface_name", "-e", "tcp.srcport")
		for _, l := range nonEmptyLines(out) {
			f := strings.Split(l, "\t")
			if len(f) == 2 {
				if seen[f[0]] == nil {
					seen[f[0]] = map[string]bool{}
				}
				seen[f[0]][f[1]] = true
			}
		}
		for _, hop := range want {
			for _, p := range ports {
				if !seen[hop][p] {
					t.Errorf("%s: no SYN from tag port %s on %s (seen: %v)", file, p, hop, seen[hop])
				}
			}
		}
		// Every hop saw every echo request and its reply, by the trace's id;
		// no other echo id was kept.
		echoes := map[string]map[string]bool{}
		out = tool(t, ctx, "tshark", "-r", file, "-d", "udp.port==8472,vxlan", "-Y", "icmp.type==8 || icmp.type==0",
			"-T", "fields", "-e", "frame.interface_name", "-e", "icmp.ident", "-e", "icmp.type", "-e", "icmp.seq")
		for _, l := range nonEmptyLines(out) {
			f := strings.Split(l, "\t")
			if len(f) != 4 {
				continue
			}
			if f[1] != fmt.Sprint(echoID) {
				t.Errorf("%s: an echo with id %s on %s, not the trace's %d", file, f[1], f[0], echoID)
				continue
			}
			if echoes[f[0]] == nil {
				echoes[f[0]] = map[string]bool{}
			}
			echoes[f[0]][f[2]+"/"+f[3]] = true
		}
		for _, hop := range want {
			for _, seq := range seqs {
				for _, typ := range []string{"8", "0"} {
					if !echoes[hop][typ+"/"+seq] {
						t.Errorf("%s: no icmp type %s id %d seq %s on %s (seen: %v)", file, typ, echoID, seq, hop, echoes[hop])
					}
				}
			}
		}
	}
	noNodePodsLeft(t, c, ns)
}

// interfaceNames lists a pcapng's interface blocks by name, in file order.
func interfaceNames(t *testing.T, ctx context.Context, file string) []string {
	t.Helper()
	var names []string
	for _, l := range nonEmptyLines(tool(t, ctx, "capinfos", "-I", file)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(l), "Name = "); ok {
			names = append(names, name)
		}
	}
	return names
}

func tool(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}
