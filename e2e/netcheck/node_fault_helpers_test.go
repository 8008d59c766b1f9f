//go:build e2e

package netcheck

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
)

// The node fault tests (issue #4) inject one seed root cause each on the real
// cluster and assert, from the -o json report of the real binary in node
// mode, the exit code, the finding ID and the hop it names.

// nodeRunTimeout bounds one node-mode run: node pods on both nodes, traces
// with capture windows, two nodeinfo snapshots.
const nodeRunTimeout = 4 * time.Minute

// crossNode is a server pod on node 2 and a client pod on node 1: every
// connect crosses the overlay.
type crossNode struct {
	ns     string
	web    *corev1.Pod
	client *corev1.Pod
}

func newCrossNode(t *testing.T, c *framework.Cluster, prefix string) crossNode {
	t.Helper()
	ns := c.Namespace(t, prefix, nil)
	pods := createReady(t, c, ns,
		framework.EchoPod("web", lab.Node2.Name),
		framework.EchoPod("client", lab.Node1.Name, "-idle"))
	return crossNode{ns: ns, web: pods[0], client: pods[1]}
}

// webAddr is the web pod's HTTP address.
func (x crossNode) webAddr() string {
	return net.JoinHostPort(x.web.Status.PodIP, fmt.Sprint(framework.EchoHTTPPort))
}

// netcheckNode runs the real binary with the node view (args carry --mode
// node, --deep, or nothing for auto) and checks the exit code.
func netcheckNode(t *testing.T, c *framework.Cluster, wantExit int, args ...string) *v1alpha1.Report {
	t.Helper()
	rep := netcheckJSON(t, c, framework.Context(t, nodeRunTimeout), wantExit, args...)
	if !strings.Contains(rep.Mode, "node") {
		t.Errorf("report mode %q (%s): the node view did not run", rep.Mode, rep.ModeReason)
	}
	// The run deleted its node pods (in --node-namespace, else the source's).
	ns := flagValue(args, "--node-namespace")
	if ns == "" {
		ns = flagValue(args, "-n")
	}
	noNodePodsLeft(t, c, ns)
	return rep
}

// hopNames fails unless the finding's hop contains every word.
func hopNames(t *testing.T, f v1alpha1.Finding, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(f.Hop, w) {
			t.Errorf("%s hop names no %q: %s", f.ID, w, f.Hop)
		}
	}
}

// evidenceHas fails unless some evidence line contains each word.
func evidenceHas(t *testing.T, f v1alpha1.Finding, words ...string) {
	t.Helper()
	for _, w := range words {
		found := false
		for _, e := range f.Evidence {
			found = found || strings.Contains(e, w)
		}
		if !found {
			t.Errorf("%s evidence lacks %q:\n  %s", f.ID, w, strings.Join(f.Evidence, "\n  "))
		}
	}
}

// traceTo is the trace result to addr ("ip:port"), nil when the report has none.
func traceTo(rep *v1alpha1.Report, addr string) *v1alpha1.TraceResult {
	for i := range rep.Results {
		tr := rep.Results[i].Trace
		if tr != nil && net.JoinHostPort(tr.Destination, fmt.Sprint(tr.Port)) == addr && len(tr.Probes) > 0 {
			return tr
		}
	}
	return nil
}

// sameDeath asserts that the ICMP trace to the web pod died where its TCP
// trace did, and that the finding names the fault once, citing both traces.
func sameDeath(t *testing.T, rep *v1alpha1.Report, f v1alpha1.Finding, x crossNode) {
	t.Helper()
	tcp, echo := traceTo(rep, x.webAddr()), icmpTraceResult(rep, x.web.Status.PodIP)
	if tcp == nil || echo == nil {
		t.Fatalf("traces to the web pod: tcp %v, icmp %v", tcp != nil, echo != nil)
	}
	if got, want := lastHops(echo.Trace), lastHops(tcp); len(got) != 1 || !maps.Equal(got, want) {
		t.Errorf("echoes last seen at %v, SYNs at %v: want one hop, the same", got, want)
	}
	for _, p := range echo.Trace.Probes {
		if p.Reply != nil {
			t.Errorf("echo %s answered %s", p.Tag, p.Reply.What)
		}
	}
	if !slices.Contains(f.CheckIDs, echo.ID) {
		t.Errorf("%s cites %v, not the ICMP trace %s", f.ID, f.CheckIDs, echo.ID)
	}
	evidenceHas(t, f, "echo "+x.client.Status.PodIP+" -> "+x.web.Status.PodIP)
	for _, other := range rep.Findings {
		if other.ID != f.ID && slices.Contains(other.CheckIDs, echo.ID) {
			t.Errorf("the ICMP trace makes a second finding: %s %s", other.ID, other.Summary)
		}
	}
}

// icmpTraceResult is the ICMP trace to ip, nil when the report has none.
func icmpTraceResult(rep *v1alpha1.Report, ip string) *v1alpha1.CheckResult {
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Trace != nil && r.Trace.Proto == v1alpha1.TraceICMP && r.Trace.Destination == ip && len(r.Trace.Probes) > 0 {
			return r
		}
	}
	return nil
}

// lastHops counts the probes of a trace by the hop they were last seen at.
func lastHops(tr *v1alpha1.TraceResult) map[string]int {
	out := map[string]int{}
	for _, p := range tr.Probes {
		out[p.LastHop]++
	}
	return out
}

// linkMAC is a link's MAC inside a network namespace.
func linkMAC(t *testing.T, netnsPath, name string) string {
	t.Helper()
	l, err := framework.LinkByName(netnsPath, name)
	if err != nil {
		t.Fatal(err)
	}
	return l.Attrs().HardwareAddr.String()
}

// flagValue is the value given to flag in args ("-n ns"), or "".
func flagValue(args []string, flag string) string {
	for i, a := range args[:max(len(args)-1, 0)] {
		if a == flag {
			return args[i+1]
		}
	}
	return ""
}
