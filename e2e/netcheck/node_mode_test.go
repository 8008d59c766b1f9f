//go:build e2e

package netcheck

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeModeTimeout bounds one run with the node view: node pods on both nodes,
// two snapshots, traces with their capture windows.
const nodeModeTimeout = 3 * time.Minute

// Issue #4: a healthy cross-node path checked from the nodes. The pod's own
// checks run from node 1 inside the client's netns and read as in pod mode;
// both nodes get a snapshot before and after the traffic and a namespace
// scan; each TCP address and each pinged pod IP gets a trace whose hops span
// both nodes; nothing is left behind.
func TestNodeModeHealthy(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "nodemode")
	ctx := framework.Context(t, nodeModeTimeout)

	rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "-n", f.ns, "client", "--to", "svc/web", "--mode", "node")
	if rep.Mode != "node" || !strings.Contains(rep.ModeReason, "--mode node") {
		t.Errorf("mode %q (%s), want node because of --mode node", rep.Mode, rep.ModeReason)
	}
	noFaults(t, rep)
	checkNodeView(t, rep, f)

	// The pod-view checks ran in the client's netns: same IDs and vantage as
	// pod mode, and the client's own address as the connect source.
	client := "pod " + f.ns + "/client"
	for _, addr := range []string{hostPort(f.web1.Status.PodIP), hostPort(f.web2.Status.PodIP)} {
		res := tcpResult(t, rep, addr)
		if res.Vantage != client || res.Status != v1alpha1.StatusPass {
			t.Errorf("tcp %s: vantage %q status %s, want a pass from %s", addr, res.Vantage, res.Status, client)
		}
		for _, a := range res.TCP.Attempts {
			if host, _, _ := net.SplitHostPort(a.LocalAddr); a.LocalAddr != "" && host != f.client.Status.PodIP {
				t.Errorf("tcp %s attempt %d left from %s, not from the client pod's %s", addr, a.Seq, a.LocalAddr, f.client.Status.PodIP)
				break
			}
		}
	}
	if ni := resultsOf(rep, v1alpha1.CheckNetInfo); len(ni) == 0 || ni[0].Vantage != client || !hasAddr(ni[0].NetInfo, f.client.Status.PodIP) {
		t.Errorf("netinfo %+v: want the client's own interfaces, from %s", ni, client)
	}

	// The trace to the endpoint on node 2 crossed both nodes hop by hop.
	tr := traceResultTo(t, rep, hostPort(f.web2.Status.PodIP))
	if tr.Vantage != "node "+lab.Node1.Name || tr.Status != v1alpha1.StatusPass {
		t.Errorf("trace to web-2: vantage %q status %s (%s)", tr.Vantage, tr.Status, tr.Summary)
	}
	wantHops := []string{lab.Node1.Name + "/pod client", lab.Node1.Name + "/cni0", lab.Node1.Name + "/flannel.1",
		lab.Node2.Name + "/flannel.1", lab.Node2.Name + "/cni0", lab.Node2.Name + "/pod web-2"}
	labels := hopLabels(tr.Trace)
	for _, h := range wantHops {
		if !slices.Contains(labels, h) {
			t.Errorf("trace hops %v lack %s", labels, h)
		}
	}
	for _, p := range tr.Trace.Probes {
		if p.Reply == nil || p.Reply.Kind != "syn-ack" || p.LastHop != lab.Node2.Name+"/pod web-2" {
			t.Errorf("probe %s: reply %+v, last seen at %q; want a SYN-ACK and the request seen in web-2", p.Tag, p.Reply, p.LastHop)
		}
	}
	if tr.Trace.PcapNG != nil {
		t.Errorf("the report carries %d bytes of pcapng: they belong in --capture-out", len(tr.Trace.PcapNG))
	}

	// The echoes to web-2 were followed the same way: every one answered by
	// the pod, the request and the reply seen on every hop of both nodes.
	echo := icmpTraceTo(t, rep, f.web2.Status.PodIP)
	if echo.Vantage != "node "+lab.Node1.Name || echo.Status != v1alpha1.StatusPass || !strings.HasPrefix(echo.Summary, "3/3 answered") {
		t.Errorf("ICMP trace to web-2: vantage %q status %s (%s), want 3/3 answered", echo.Vantage, echo.Status, echo.Summary)
	}
	if got := hopLabels(echo.Trace); !slices.Equal(got, labels) {
		t.Errorf("ICMP trace hops %v, want the TCP trace's %v", got, labels)
	}
	for _, p := range echo.Trace.Probes {
		if p.ICMPID == 0 || p.Reply == nil || p.Reply.Kind != "echo-reply" || p.LastHop != lab.Node2.Name+"/pod web-2" {
			t.Errorf("echo %s: reply %+v, last seen at %q; want an echo-reply and the request seen in web-2", p.Tag, p.Reply, p.LastHop)
		}
		for _, dir := range []string{v1alpha1.TraceDirRequest, v1alpha1.TraceDirReply} {
			if seen := seenOn(p, dir); !slices.Equal(seen, labels) {
				t.Errorf("echo %s: %s seen on %v, want every hop %v", p.Tag, dir, seen, labels)
			}
		}
	}
	noNodePodsLeft(t, c, f.ns)
}

// seenOn lists the hops where a probe's request (or reply) was seen, in hop order.
func seenOn(p v1alpha1.TraceProbe, dir string) []string {
	var hops []int
	names := map[int]string{}
	for _, s := range p.Seen {
		if s.Dir == dir {
			if _, dup := names[s.HopIndex]; !dup {
				hops = append(hops, s.HopIndex)
			}
			names[s.HopIndex] = s.Hop
		}
	}
	slices.Sort(hops)
	out := make([]string, len(hops))
	for i, h := range hops {
		out[i] = names[h]
	}
	return out
}

// icmpTraceTo is the ICMP trace to ip.
func icmpTraceTo(t *testing.T, rep *v1alpha1.Report, ip string) *v1alpha1.CheckResult {
	t.Helper()
	for _, r := range resultsOf(rep, v1alpha1.CheckTrace) {
		if r.ID == "trace:icmp:"+ip {
			if r.Trace == nil || r.Trace.Proto != v1alpha1.TraceICMP {
				t.Fatalf("ICMP trace to %s: %s %s", ip, r.Status, r.Error)
			}
			return r
		}
	}
	t.Fatalf("no ICMP trace to %s", ip)
	return nil
}

// Issue #4: --deep in auto mode adds the node view to a passing pod view and
// says so.
func TestNodeModeDeep(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "deep")
	ctx := framework.Context(t, nodeModeTimeout)

	rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "-n", f.ns, "client", "--to", "svc/web", "--deep")
	if rep.Mode != "pod+node" || !strings.Contains(rep.ModeReason, "ephemeral agent") || !strings.Contains(rep.ModeReason, "--deep") {
		t.Errorf("mode %q (%s), want pod+node naming the agent and --deep", rep.Mode, rep.ModeReason)
	}
	noFaults(t, rep)
	checkNodeView(t, rep, f)
	// The pod view ran once, from the ephemeral agent.
	if n := len(resultsOf(rep, v1alpha1.CheckTCP)); n != 3 {
		t.Errorf("%d tcp results, want the pod view's 3 (ClusterIP and two endpoints) once", n)
	}
	if agents := agentsIn(t, c, f.ns, "client"); len(agents) != 1 {
		t.Errorf("agents in the client: %v, want one", agents)
	}
	noNodePodsLeft(t, c, f.ns)
}

// Issue #4: `kubectl netcheck node/NAME` checks one node alone.
func TestNodeSource(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "nodesrc", nil)
	ctx := framework.Context(t, nodeModeTimeout)

	res := c.Netcheck(t, ctx, "node/"+lab.Node2.Name, "--node-namespace", ns)
	if res.ExitCode != v1alpha1.ExitOK {
		t.Fatalf("exit %d on a healthy node\n%s", res.ExitCode, res.Stderr)
	}
	containsAll(t, "table", res.Stdout, "SOURCE  node "+lab.Node2.Name+", mode node", "nodeinfo", "nsscan", "VERDICT  OK")
	containsAll(t, "progress", res.Stderr, "creating node pod "+ns+"/", "deleted node pod "+ns+"/")

	rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "node/"+lab.Node2.Name, "--node-namespace", ns)
	var phases []string
	for _, r := range rep.Results {
		if r.Vantage != "node "+lab.Node2.Name {
			t.Errorf("result %s from %q", r.ID, r.Vantage)
		}
		switch {
		case r.NodeInfo != nil:
			phases = append(phases, r.NodeInfo.Phase)
		case r.NSScan != nil:
			if r.NSScan.NamespaceCount < 2 {
				t.Errorf("the scan of %s found %d network namespaces; CoreDNS alone has one", lab.Node2.Name, r.NSScan.NamespaceCount)
			}
		}
	}
	if !slices.Equal(phases, []string{v1alpha1.NodeInfoBefore, v1alpha1.NodeInfoAfter}) {
		t.Errorf("nodeinfo phases %v, want before and after", phases)
	}
	noNodePodsLeft(t, c, ns)
}

// checkNodeView asserts the node view's contract (the diagnosis rules rely on
// it): every node of the run has a nodeinfo before and after and a namespace
// scan that names the target pods on it, all from "node <name>".
func checkNodeView(t *testing.T, rep *v1alpha1.Report, f *webFixture) {
	t.Helper()
	for _, node := range []string{lab.Node1.Name, lab.Node2.Name} {
		var phases []string
		scanned := false
		for _, r := range rep.Results {
			if r.Vantage != "node "+node {
				continue
			}
			switch {
			case r.Check == v1alpha1.CheckNodeInfo && r.NodeInfo != nil && r.Status != v1alpha1.StatusError:
				phases = append(phases, r.NodeInfo.Phase)
				if len(r.NodeInfo.Links) == 0 || r.NodeInfo.Sysctls["net.ipv4.ip_forward"] != "1" {
					t.Errorf("nodeinfo %s of %s: %d links, ip_forward %q", r.NodeInfo.Phase, node, len(r.NodeInfo.Links), r.NodeInfo.Sysctls["net.ipv4.ip_forward"])
				}
			case r.Check == v1alpha1.CheckNSScan && r.NSScan != nil:
				scanned = true
				for _, d := range r.NSScan.Duplicates {
					// Target IPs are listed with their holder even when alone.
					if len(d.Holders) > 1 {
						t.Errorf("scan of %s on a healthy cluster: %s", node, d.Summary)
					}
				}
				if len(r.NSScan.Leaked) > 0 {
					t.Errorf("scan of %s on a healthy cluster: leaked %+v", node, r.NSScan.Leaked)
				}
			case r.Check == v1alpha1.CheckNodeInfo || r.Check == v1alpha1.CheckNSScan:
				t.Errorf("%s of %s: %s %s", r.Check, node, r.Status, r.Error)
			}
		}
		slices.Sort(phases)
		if !slices.Equal(phases, []string{v1alpha1.NodeInfoAfter, v1alpha1.NodeInfoBefore}) || !scanned {
			t.Errorf("node %s: nodeinfo phases %v, scanned %v; want before, after and a scan", node, phases, scanned)
		}
	}
	for _, r := range resultsOf(rep, v1alpha1.CheckTrace) {
		if r.Status != v1alpha1.StatusPass || r.Trace == nil || len(r.Trace.Probes) == 0 {
			t.Errorf("trace %s: %s %s", r.ID, r.Status, firstLine(r.Summary, r.Error))
		}
	}
	if n := len(resultsOf(rep, v1alpha1.CheckTrace)); n != 5 {
		t.Errorf("%d traces, want one per TCP address (ClusterIP and two endpoints) and one per pinged pod IP (two endpoints)", n)
	}
}

func traceResultTo(t *testing.T, rep *v1alpha1.Report, addr string) *v1alpha1.CheckResult {
	t.Helper()
	for _, r := range resultsOf(rep, v1alpha1.CheckTrace) {
		if r.ID == "trace:"+addr {
			if r.Trace == nil {
				t.Fatalf("trace to %s: %s %s", addr, r.Status, r.Error)
			}
			return r
		}
	}
	t.Fatalf("no trace to %s", addr)
	return nil
}

func hopLabels(tr *v1alpha1.TraceResult) []string {
	var out []string
	for _, h := range tr.Hops {
		out = append(out, h.Label)
	}
	return out
}

func hasAddr(ni *v1alpha1.NetInfo, ip string) bool {
	if ni == nil {
		return false
	}
	for _, ifc := range ni.Interfaces {
		for _, a := range ifc.Addrs {
			if strings.HasPrefix(a, ip+"/") {
				return true
			}
		}
	}
	return false
}

func hostPort(ip string) string { return net.JoinHostPort(ip, fmt.Sprint(framework.EchoHTTPPort)) }

func firstLine(s ...string) string {
	for _, v := range s {
		if v != "" {
			return strings.SplitN(v, "\n", 2)[0]
		}
	}
	return ""
}

// noNodePodsLeft fails when a pod labelled managed-by=kubectl-netcheck is
// left in ns, the namespace the run under test put its node pods in. Such
// pods elsewhere were left by an earlier test, which failed for it already:
// they are only logged here, with what the API says of them, so one leak does
// not fail every later test.
func noNodePodsLeft(t *testing.T, c *framework.Cluster, ns string) {
	t.Helper()
	var mine, earlier []string
	for _, p := range managedPods(t, c) {
		if p.Namespace == ns {
			mine = append(mine, describeLeftPod(p))
		} else {
			earlier = append(earlier, describeLeftPod(p))
		}
	}
	if len(earlier) > 0 {
		t.Logf("netcheck pods left by earlier tests: %v", earlier)
	}
	if len(mine) > 0 {
		t.Errorf("netcheck pods left behind in %s: %v", ns, mine)
	}
}

// describeLeftPod is "ns/name (phase on node, created T[, deleting since T])":
// enough to tell a pod the run never deleted from one still going away.
func describeLeftPod(p corev1.Pod) string {
	s := fmt.Sprintf("%s/%s (%s on %s, created %s", p.Namespace, p.Name, p.Status.Phase, p.Spec.NodeName, p.CreationTimestamp.UTC().Format(time.TimeOnly))
	if p.DeletionTimestamp != nil {
		s += ", deleting since " + p.DeletionTimestamp.UTC().Format(time.TimeOnly)
	}
	return s + ")"
}

// managedPods lists every pod labelled managed-by=kubectl-netcheck.
func managedPods(t *testing.T, c *framework.Cluster) []corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: launch.ManagedByLabel + "=" + launch.ManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}
