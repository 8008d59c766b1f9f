package builtin

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/podnetns/podnetnstest"
)

// Addresses only the fake pod's namespace has (on its lo), so a check that
// did not run inside it cannot pass.
const (
	podDNS    = "10.77.0.53"
	podServer = "10.77.0.80"
	podRC     = "nameserver " + podDNS + "\nsearch netcheck.test\noptions ndots:1\n"
)

func runRequest(t *testing.T, req v1alpha1.ProbeRequest) map[string]v1alpha1.CheckResult {
	t.Helper()
	reg, release := ForRequest(req)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]v1alpha1.CheckResult{}
	reg.Run(ctx, req, func(ev v1alpha1.Event) {
		if ev.Type == v1alpha1.EventResult {
			out[ev.Result.ID] = *ev.Result
			t.Logf("%s %s: %s %s", ev.Result.ID, ev.Result.Status, ev.Result.Summary, ev.Result.Netns)
		}
	})
	return out
}

func podChecks() []v1alpha1.CheckSpec {
	return []v1alpha1.CheckSpec{
		{ID: "tcp", Check: v1alpha1.CheckTCP, TCP: &v1alpha1.TCPSpec{Address: podServer + ":8080", Count: 2}},
		{ID: "icmp", Check: v1alpha1.CheckICMP, ICMP: &v1alpha1.ICMPSpec{Address: podServer, Count: 2}},
		{ID: "dns", Check: v1alpha1.CheckDNS, DNS: &v1alpha1.DNSSpec{Name: "web", Types: []string{"A"}, Transports: []string{"udp"}}},
		{ID: "netinfo", Check: v1alpha1.CheckNetInfo, NetInfo: &v1alpha1.NetInfoSpec{Listeners: true}},
		{ID: "nodeinfo", Check: v1alpha1.CheckNodeInfo, NodeInfo: &v1alpha1.NodeInfoSpec{}},
	}
}

// A node agent runs the pod-view checks inside a pod it finds by UID: TCP,
// ICMP and DNS reach what exists only in the pod's namespace, DNS uses the
// pod's own resolv.conf, netinfo lists the pod's listeners, every pod-view
// result names the namespace, and the node check in the same request stays on
// the node.
func TestPodViewChecksRunInThePodFoundByUID(t *testing.T) {
	pod := podnetnstest.Start(t, podRC)
	pod.NS.IP(t, "addr", "add", podDNS+"/32", "dev", "lo")
	pod.NS.IP(t, "addr", "add", podServer+"/32", "dev", "lo")
	pod.NS.ServeDNS(t, podDNS+":53", netnstest.StaticZone{"web.netcheck.test.": {podServer}}, "udp")
	pod.NS.ListenTCP(t, podServer+":8080")
	hostLn, err := net.Listen("tcp4", "127.0.0.1:0") // in the test's own namespace: must not show
	if err != nil {
		t.Fatal(err)
	}
	defer hostLn.Close()
	hostPort := hostLn.Addr().(*net.TCPAddr).Port

	// The runtime reports the pod's sandbox; its pause PID opens the namespace.
	sock := critest.Serve(t, &critest.Runtime{Sandboxes: []critest.Sandbox{
		{ID: "sb-web", Namespace: "default", Name: "web", UID: pod.UID, NetNSPath: pod.NamespacePathOnNode, PID: pod.PausePID}}})

	req := v1alpha1.NewProbeRequest(podChecks()...)
	req.Netns = &v1alpha1.NetnsRef{PodUID: pod.UID, Label: "pod default/web", CRISocket: sock}
	res := runRequest(t, req)

	ino, err := netns.StatID(pod.NamespacePathOnNode)
	if err != nil {
		t.Fatal(err)
	}
	wantNetns := fmt.Sprintf("pod default/web: pid %d %s via cri critest v0", pod.PausePID, ino)
	for _, id := range []string{"tcp", "icmp", "dns", "netinfo"} {
		r := res[id]
		if r.Status != v1alpha1.StatusPass || r.Netns != wantNetns {
			t.Errorf("%s: %s %q (%s) netns %q; want pass in %q", id, r.Status, r.Summary, r.Error, r.Netns, wantNetns)
		}
	}
	if d := res["dns"].DNS; d == nil || !slices.Equal(d.ResolvConf.Nameservers, []string{podDNS}) || !slices.Contains(d.Addresses, podServer) {
		t.Errorf("dns evidence %+v: want the pod's resolv.conf nameserver and %s", d, podServer)
	}
	ni := res["netinfo"].NetInfo
	if ni == nil {
		t.Fatal("no netinfo evidence")
	}
	if !slices.Contains(ni.Listeners, v1alpha1.Listener{Proto: "tcp", Addr: podServer, Port: 8080}) ||
		!slices.Contains(ni.Listeners, v1alpha1.Listener{Proto: "udp", Addr: podDNS, Port: 53}) {
		t.Errorf("listeners %+v lack the pod's servers", ni.Listeners)
	}
	for _, l := range ni.Listeners {
		if l.Port == hostPort {
			t.Errorf("listener %+v is the test's, in another namespace", l)
		}
	}
	if n := res["nodeinfo"]; n.Status == v1alpha1.StatusError || n.Netns != "" {
		t.Errorf("nodeinfo: %s (%s) netns %q; want it run on the node, not in the pod", n.Status, n.Error, n.Netns)
	}
}

// A reference that finds nothing fails the pod-view checks with what to check,
// and the node checks still run.
func TestPodViewChecksFailClearlyWhenThePodIsNotHere(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	req := v1alpha1.NewProbeRequest(podChecks()...)
	req.Netns = &v1alpha1.NetnsRef{ContainerID: "containerd://" + strings.Repeat("cd", 32)}
	res := runRequest(t, req)
	for _, id := range []string{"tcp", "icmp", "dns", "netinfo"} {
		if r := res[id]; r.Status != v1alpha1.StatusError || !strings.Contains(r.Error, "no process of container cdcdcdcdcdcd on this node") ||
			!strings.Contains(r.Error, "is the pod on this node") {
			t.Errorf("%s: %s %q", id, r.Status, r.Error)
		}
	}
	if n := res["nodeinfo"]; n.Status == v1alpha1.StatusError {
		t.Errorf("nodeinfo: %s", n.Error)
	}
}

// Entering through the pause process alone finds no resolv.conf: the dns check
// must say so instead of silently using the node's.
func TestDNSWithoutThePodsResolvConfSaysSo(t *testing.T) {
	pod := podnetnstest.Start(t, podRC)
	req := v1alpha1.NewProbeRequest(podChecks()[2])
	req.Netns = &v1alpha1.NetnsRef{PID: pod.PausePID}
	r := runRequest(t, req)["dns"]
	if r.Status != v1alpha1.StatusError || !strings.Contains(r.Error, "no resolv.conf for pid") || !strings.Contains(r.Error, "give dns.resolvConf") {
		t.Errorf("dns: %s %q", r.Status, r.Error)
	}
}
