package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// labScene is the lab's shape: client and web-1 on node1, web-2 on node2,
// Service web in front of both; node1's VXLAN leaves by nc-node2, node2's by eth0.
func labScene() (*v1alpha1.Report, map[string]NodeView) {
	r := &v1alpha1.Report{
		Source: v1alpha1.Source{Namespace: "shop", Pod: "client", Node: "node1", PodIPs: []string{"10.244.1.4"}},
		Targets: []v1alpha1.Target{{
			Spec: "svc/web", Kind: "service", Namespace: "shop", Name: "web", IPs: []string{"10.96.0.50"}, Port: 80, Protocol: "TCP",
			Endpoint: []v1alpha1.Endpoint{
				{IP: "10.244.1.3", Port: 8080, Ready: true, Pod: "web-1", Node: "node1"},
				{IP: "10.244.0.3", Port: 8080, Ready: true, Pod: "web-2", Node: "node2"},
			},
		}},
	}
	podNS := func(inode uint64, pid int, uid, ip, veth string) v1alpha1.NetNamespace {
		return v1alpha1.NetNamespace{Inode: inode, ProcessCount: 1, Processes: []v1alpha1.NSProcess{{PID: pid, Comm: "pause"}},
			Interfaces:  []v1alpha1.Interface{{Name: "lo", Addrs: []string{"127.0.0.1/8"}}, {Name: "eth0", Addrs: []string{ip + "/24"}, PeerIndex: 7}},
			BridgePorts: []string{veth}, Sandbox: &v1alpha1.SandboxRef{UID: uid}}
	}
	node := func(name, underlay, local string, ns ...v1alpha1.NetNamespace) NodeView {
		return NodeView{
			Name: name, InternalIP: local,
			Info: &v1alpha1.NodeInfoResult{Links: []v1alpha1.NodeLink{
				{Name: underlay, Kind: "veth", MTU: 1500, Addrs: []string{local + "/30"}},
				{Name: "flannel.1", Kind: "vxlan", MTU: 1450, VXLAN: &v1alpha1.NodeVXLAN{VNI: 1, Local: local, DstPort: 8472, Underlay: underlay}},
				{Name: "cni0", Kind: "bridge", MTU: 1450},
			}},
			Scan: &v1alpha1.NSScanResult{Namespaces: append([]v1alpha1.NetNamespace{{Inode: 1, Host: true,
				Interfaces: []v1alpha1.Interface{{Name: underlay, Addrs: []string{local + "/30"}}}}}, ns...)},
		}
	}
	n1 := node("node1", "nc-node2", "10.201.0.1", podNS(11, 101, "uid-client", "10.244.1.4", "vethc"), podNS(12, 102, "uid-web1", "10.244.1.3", "vethw1"))
	n1.Pods = []v1alpha1.NodePod{{Namespace: "shop", Name: "client", UID: "uid-client"}, {Namespace: "shop", Name: "web-1", UID: "uid-web1"}}
	n2 := node("node2", "eth0", "10.201.0.2", podNS(21, 201, "uid-web2", "10.244.0.3", "vethw2"))
	n2.Pods = []v1alpha1.NodePod{{Namespace: "shop", Name: "web-2", UID: "uid-web2"}}
	return r, map[string]NodeView{"node1": n1, "node2": n2}
}

func labels(hops []v1alpha1.TraceHop) string {
	var out []string
	for _, h := range hops {
		out = append(out, h.Node+"/"+h.Name)
	}
	return strings.Join(out, " -> ")
}

// planFor is the plan of the trace with id; it fails the test when there is none.
func planFor(t *testing.T, plans []TracePlan, id string) TracePlan {
	t.Helper()
	for _, p := range plans {
		if p.Sender.ID == id {
			return p
		}
	}
	t.Fatalf("no trace %s among %d", id, len(plans))
	return TracePlan{}
}

func TestTracesAcrossNodes(t *testing.T) {
	r, nodes := labScene()
	checks := Build(r, Options{}).Checks
	plans := Traces(r, checks, nodes, TraceOptions{FirstPort: 62000, FirstICMPID: 0x5a00})
	var ids []string
	for _, p := range plans {
		ids = append(ids, p.Sender.ID)
	}
	// One per TCP address (ClusterIP, two endpoints) and one per pinged pod
	// IP; the ClusterIP is not pinged, so not ICMP-traced.
	wantIDs := []string{"trace:10.96.0.50:80", "trace:10.244.1.3:8080", "trace:icmp:10.244.1.3", "trace:10.244.0.3:8080", "trace:icmp:10.244.0.3"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Fatalf("traces (-want +got):\n%s", diff)
	}
	for _, p := range plans {
		if p.Problem != "" {
			t.Errorf("%s: %s", p.Address, p.Problem)
		}
	}

	// The endpoint on the other node: the whole path, both halves with the same tags.
	remote := planFor(t, plans, "trace:10.244.0.3:8080")
	window := int(TraceOptions{}.CaptureWindow().Milliseconds())
	wantSender := v1alpha1.CheckSpec{
		ID: "trace:10.244.0.3:8080", Check: v1alpha1.CheckTrace, Target: "svc/web endpoint 10.244.0.3:8080 (pod web-2, node node2)",
		TimeoutMillis: 13000,
		Trace: &v1alpha1.TraceSpec{
			Source: "/proc/101/ns/net", Destination: "10.244.0.3", Port: 8080, Proto: "tcp",
			Hops: []v1alpha1.TraceHop{
				{Node: "node1", Name: "pod client", Netns: "/proc/101/ns/net", Ifname: "eth0"},
				{Node: "node1", Name: "vethc", Ifname: "vethc"},
				{Node: "node1", Name: "cni0", Ifname: "cni0"},
				{Node: "node1", Name: "flannel.1", Ifname: "flannel.1"},
				{Node: "node1", Name: "nc-node2", Ifname: "nc-node2"},
			},
			Count: 3, SourcePort: 62006, ProbeTimeoutMillis: 1000, PcapOut: true,
		},
	}
	if diff := cmp.Diff(wantSender, remote.Sender); diff != "" {
		t.Errorf("sender (-want +got):\n%s", diff)
	}
	wantFar := []FarHalf{{Node: "node2", Spec: v1alpha1.CheckSpec{
		ID: "trace:10.244.0.3:8080@node2", Check: v1alpha1.CheckTrace, Target: wantSender.Target, TimeoutMillis: window + 10000,
		Trace: &v1alpha1.TraceSpec{
			Destination: "10.244.0.3", Port: 8080, Proto: "tcp",
			Hops: []v1alpha1.TraceHop{
				{Node: "node2", Name: "eth0", Ifname: "eth0"},
				{Node: "node2", Name: "flannel.1", Ifname: "flannel.1"},
				{Node: "node2", Name: "cni0", Ifname: "cni0"},
				{Node: "node2", Name: "vethw2", Ifname: "vethw2"},
				{Node: "node2", Name: "pod web-2", Netns: "/proc/201/ns/net", Ifname: "eth0"},
			},
			Count: 3, SourcePort: 62006, CaptureOnlyMillis: window, PcapOut: true,
		},
	}}}
	if diff := cmp.Diff(wantFar, remote.Far); diff != "" {
		t.Errorf("far halves (-want +got):\n%s", diff)
	}

	// The ClusterIP may land on either endpoint: the local one's hops before
	// the exit, the far one's on node2.
	svc := planFor(t, plans, "trace:10.96.0.50:80")
	if got, want := labels(svc.Sender.Trace.Hops), "node1/pod client -> node1/vethc -> node1/cni0 -> node1/vethw1 -> node1/pod web-1 -> node1/flannel.1 -> node1/nc-node2"; got != want {
		t.Errorf("ClusterIP sender hops\n got %s\nwant %s", got, want)
	}
	if len(svc.Far) != 1 || labels(svc.Far[0].Spec.Trace.Hops) != "node2/eth0 -> node2/flannel.1 -> node2/cni0 -> node2/vethw2 -> node2/pod web-2" {
		t.Errorf("ClusterIP far halves: %+v", svc.Far)
	}
	// The local endpoint never leaves node1.
	local := planFor(t, plans, "trace:10.244.1.3:8080")
	if got, want := labels(local.Sender.Trace.Hops), "node1/pod client -> node1/vethc -> node1/cni0 -> node1/vethw1 -> node1/pod web-1"; got != want || len(local.Far) != 0 {
		t.Errorf("local trace hops %s (far %d), want %s", got, len(local.Far), want)
	}
	// Each trace has its own tag ports.
	if svc.Sender.Trace.SourcePort != 62000 || local.Sender.Trace.SourcePort != 62003 {
		t.Errorf("tag ports %d, %d", svc.Sender.Trace.SourcePort, local.Sender.Trace.SourcePort)
	}

	// The echoes to the pod on the other node: the same hops as its TCP
	// trace, both halves with the trace's own echo id.
	echo := planFor(t, plans, "trace:icmp:10.244.0.3")
	wantEcho := TracePlan{Address: "10.244.0.3", Sender: wantSender, Far: wantFar}
	wantEcho.Sender.ID, wantEcho.Sender.Target = "trace:icmp:10.244.0.3", "svc/web endpoint 10.244.0.3 (pod web-2, node node2)"
	st := *wantSender.Trace
	st.Port, st.Proto, st.SourcePort, st.ICMPID = 0, v1alpha1.TraceICMP, 0, 0x5a01
	wantEcho.Sender.Trace = &st
	wantEcho.Far = []FarHalf{{Node: "node2", Spec: wantFar[0].Spec}}
	wantEcho.Far[0].Spec.ID, wantEcho.Far[0].Spec.Target = "trace:icmp:10.244.0.3@node2", wantEcho.Sender.Target
	ft := *wantFar[0].Spec.Trace
	ft.Port, ft.Proto, ft.SourcePort, ft.ICMPID = 0, v1alpha1.TraceICMP, 0, 0x5a01
	wantEcho.Far[0].Spec.Trace = &ft
	if diff := cmp.Diff(wantEcho, echo); diff != "" {
		t.Errorf("ICMP trace (-want +got):\n%s", diff)
	}
	if id := planFor(t, plans, "trace:icmp:10.244.1.3").Sender.Trace.ICMPID; id != 0x5a00 {
		t.Errorf("first ICMP trace's echo id %#x, want 0x5a00", id)
	}
}

func TestICMPTraceTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target v1alpha1.Target
		want   []string
	}{
		{"pod target", v1alpha1.Target{Spec: "pod/web-2", Kind: "pod", Namespace: "shop", Pod: "web-2", Node: "node2", IPs: []string{"10.244.0.3"}, Port: 8080},
			[]string{"trace:10.244.0.3:8080", "trace:icmp:10.244.0.3"}},
		{"bare pod IP without a port", v1alpha1.Target{Spec: "10.244.0.3", Kind: "ip", Namespace: "shop", Pod: "web-2", Node: "node2", IPs: []string{"10.244.0.3"}},
			[]string{"trace:icmp:10.244.0.3"}},
		// Pinged (no port was given) but no known pod holds it: where would the far half capture?
		{"address of no pod", v1alpha1.Target{Spec: "10.96.255.254", Kind: "ip", IPs: []string{"10.96.255.254"}}, nil},
		{"the source's own IP", v1alpha1.Target{Spec: "pod/client", Kind: "pod", Namespace: "shop", Pod: "client", Node: "node1", IPs: []string{"10.244.1.4"}},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, nodes := labScene()
			r.Targets = []v1alpha1.Target{tc.target}
			var ids []string
			for _, p := range Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{}) {
				if p.Problem != "" {
					t.Errorf("%s: %s", p.Sender.ID, p.Problem)
				}
				ids = append(ids, p.Sender.ID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("traces (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTracesDegrade(t *testing.T) {
	t.Run("no scan of the source node", func(t *testing.T) {
		r, nodes := labScene()
		n1 := nodes["node1"]
		n1.Scan, n1.ScanErr = nil, `this probe has no check "nsscan"`
		nodes["node1"] = n1
		p := Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{})[0]
		if !strings.Contains(p.Problem, "cannot find the source pod's network namespace") || !strings.Contains(p.Problem, `no check "nsscan"`) {
			t.Errorf("problem = %q", p.Problem)
		}
		if p.Sender.ID != "trace:10.96.0.50:80" || p.Sender.Target == "" {
			t.Errorf("a trace that cannot run still needs its ID and label: %+v", p.Sender)
		}
	})
	t.Run("no scan of the far node keeps its node hops", func(t *testing.T) {
		r, nodes := labScene()
		n2 := nodes["node2"]
		n2.Scan = nil
		nodes["node2"] = n2
		p := planFor(t, Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{}), "trace:10.244.0.3:8080")
		if p.Problem != "" || len(p.Far) != 1 || labels(p.Far[0].Spec.Trace.Hops) != "node2/eth0 -> node2/flannel.1 -> node2/cni0" {
			t.Errorf("plan = %+v", p)
		}
	})
	t.Run("two namespaces hold the source IP", func(t *testing.T) {
		r, nodes := labScene()
		n1 := nodes["node1"]
		n1.Pods = nil // ownership unknown: only the IP is left to go by
		leak := n1.Scan.Namespaces[1]
		leak.Inode, leak.Sandbox = 99, nil
		n1.Scan.Namespaces = append(n1.Scan.Namespaces, leak)
		nodes["node1"] = n1
		p := Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{})[0]
		if !strings.Contains(p.Problem, "2 network namespaces on node node1 hold its IP") {
			t.Errorf("problem = %q", p.Problem)
		}
	})
	t.Run("owner decides over a leaked holder", func(t *testing.T) {
		r, nodes := labScene()
		n1 := nodes["node1"]
		leak := n1.Scan.Namespaces[1]
		leak.Inode, leak.Sandbox, leak.Processes = 99, nil, []v1alpha1.NSProcess{{PID: 999}}
		n1.Scan.Namespaces = append([]v1alpha1.NetNamespace{leak}, n1.Scan.Namespaces...)
		nodes["node1"] = n1
		p := Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{})[0]
		if p.Problem != "" || p.Sender.Trace.Source != "/proc/101/ns/net" {
			t.Errorf("plan = %+v", p)
		}
	})
	t.Run("veth by peer index, underlay by VXLAN local address", func(t *testing.T) {
		r, nodes := labScene()
		n1 := nodes["node1"]
		n1.Scan.Namespaces[1].BridgePorts = nil
		n1.Info.Links = append(n1.Info.Links, v1alpha1.NodeLink{Name: "veth-by-index", Index: 7, Kind: "veth"})
		n1.Info.Links[1].VXLAN.Underlay = ""
		nodes["node1"] = n1
		p := planFor(t, Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{}), "trace:10.244.0.3:8080")
		if got, want := labels(p.Sender.Trace.Hops), "node1/pod client -> node1/veth-by-index -> node1/cni0 -> node1/flannel.1 -> node1/nc-node2"; got != want {
			t.Errorf("hops\n got %s\nwant %s", got, want)
		}
	})
	t.Run("an address of no pod leaves by the overlay, no far half", func(t *testing.T) {
		r, nodes := labScene()
		r.Targets = []v1alpha1.Target{{Spec: "10.96.255.254:80", Kind: "ip", IPs: []string{"10.96.255.254"}, Port: 80}}
		plans := Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{})
		if len(plans) != 1 || len(plans[0].Far) != 0 || !strings.HasSuffix(labels(plans[0].Sender.Trace.Hops), "node1/flannel.1 -> node1/nc-node2") {
			t.Errorf("plans = %+v", plans)
		}
	})
	t.Run("names are not traced", func(t *testing.T) {
		r, nodes := labScene()
		r.Targets = []v1alpha1.Target{{Spec: "example.com:443", Kind: "host", Name: "example.com", Port: 443}}
		if plans := Traces(r, Build(r, Options{}).Checks, nodes, TraceOptions{}); len(plans) != 0 {
			t.Errorf("plans = %+v", plans)
		}
	})
}

func TestViewNodesAndTargetIPs(t *testing.T) {
	r, _ := labScene()
	r.Targets = append(r.Targets, v1alpha1.Target{Spec: "pod/db", Kind: "pod", Pod: "db", Node: "node3", IPs: []string{"10.244.2.9"}})
	if got := ViewNodes(r); !cmp.Equal(got, []string{"node1", "node2", "node3"}) {
		t.Errorf("ViewNodes = %v", got)
	}
	if got := TargetIPsOn(r, "node1"); !cmp.Equal(got, []string{"10.244.1.3"}) {
		t.Errorf("TargetIPsOn(node1) = %v", got)
	}
	if got := TargetIPsOn(r, "node3"); !cmp.Equal(got, []string{"10.244.2.9"}) {
		t.Errorf("TargetIPsOn(node3) = %v", got)
	}
	spec := NSScan("node1", "10.244.1.0/24", []v1alpha1.NodePod{{Name: "x"}}, []string{"10.244.1.3"})
	want := v1alpha1.CheckSpec{ID: "nsscan:node1", Check: "nsscan", Target: "node node1", TimeoutMillis: 30000,
		NSScan: &v1alpha1.NSScanSpec{TargetIPs: []string{"10.244.1.3"}, PodCIDR: "10.244.1.0/24", BridgeName: "cni0",
			Pods: []v1alpha1.NodePod{{Name: "x"}}}}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("NSScan (-want +got):\n%s", diff)
	}
	if ni := NodeInfo("node2", v1alpha1.NodeInfoAfter); ni.ID != "nodeinfo:node2:after" || ni.NodeInfo.Phase != "after" || !ni.NodeInfo.Firewall {
		t.Errorf("NodeInfo = %+v", ni)
	}
}
