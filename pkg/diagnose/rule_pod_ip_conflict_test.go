package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// web1Holders are the two namespaces holding web-1's IP 10.244.1.5 on node 2:
// the pod, and a namespace a crashed pod left behind, still on cni0 with the
// same MAC and kept alive by a busybox re-parented to PID 1.
func web1Holders() v1alpha1.DuplicateIP {
	pod := v1alpha1.NSHolder{Inode: 4026532401, Paths: []string{"/run/netns/cni-5ed3450d-5f38-5939-25d1-73f3afcff76a"},
		Interface: "eth0", MAC: "0a:58:0a:f4:01:05", Addr: "10.244.1.5/24", BridgePorts: []string{"veth8c0d4e21"},
		Sandbox: &v1alpha1.SandboxRef{ID: "9d1f0c7e5b3a2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d", Namespace: "default",
			Name: "web-1", UID: "0b6f5c1e-7a0d-4d0e-9b51-2f7c0d5e9a11", State: "SANDBOX_READY"},
		Processes: []v1alpha1.NSProcess{{PID: 41230, Comm: "pause", PPID: 41201, ParentComm: "containerd-shim", ParentPPID: 1},
			{PID: 41290, Comm: "echoserver", PPID: 41201, ParentComm: "containerd-shim", ParentPPID: 1}}}
	leak := v1alpha1.NSHolder{Inode: 4026532777, Interface: "eth0", MAC: "0a:58:0a:f4:01:05", Addr: "10.244.1.5/24",
		BridgePorts: []string{"nclk4f2a1c"}, Leaked: true,
		Processes: []v1alpha1.NSProcess{{PID: 52117, Comm: "busybox", PPID: 1, ParentComm: "systemd"}}}
	return v1alpha1.DuplicateIP{IP: "10.244.1.5", Target: true, SameMAC: true, Holders: []v1alpha1.NSHolder{pod, leak},
		Summary: "10.244.1.5 is held by 2 network namespaces with the same MAC 0a:58:0a:f4:01:05"}
}

func node2Scan(dups []v1alpha1.DuplicateIP, leaked ...v1alpha1.LeakedNetNS) v1alpha1.CheckResult {
	status := v1alpha1.StatusPass
	if len(dups) > 0 {
		status = v1alpha1.StatusFail
	} else if len(leaked) > 0 {
		status = v1alpha1.StatusWarn
	}
	return fixture.NSScan("nsscan-node2", fixture.Node2, status, &v1alpha1.NSScanResult{NamespaceCount: 9,
		Duplicates: dups, Leaked: leaked, SandboxesKnown: true, SandboxSource: "api: 7 pods on node k8slab-node2"})
}

func TestPodIPConflict(t *testing.T) {
	web1, web2 := fixture.Web1, fixture.Web2
	leaked := v1alpha1.LeakedNetNS{Inode: 4026532777, Addrs: []string{"10.244.1.5/24 on eth0"}, BridgePorts: []string{"nclk4f2a1c"},
		Processes: []v1alpha1.NSProcess{{PID: 52117, Comm: "busybox", PPID: 1}},
		Reason:    "address in pod CIDR 10.244.0.0/16; attached to bridge cni0 via nclk4f2a1c; owned by no pod sandbox"}
	hops := fixture.CrossNodeHops("web-1")
	// Half the SYNs reach the leak (RST from cni0 with the shared MAC), half the pod.
	probes := append(fixture.TraceProbes(hops, 2, "10.244.1.5:8080", 9, &fixture.TraceReply{Kind: "syn-ack", What: "SYN-ACK",
		FirstHop: hops[9].Label, TTL: 64, SrcMAC: "0a:58:0a:f4:01:05"}, 0, ""),
		fixture.TraceProbes(hops, 1, "10.244.1.5:8080", 7, &fixture.TraceReply{Kind: "rst", What: "RST-ACK",
			FirstHop: hops[7].Label, TTL: 64, SrcMAC: "0a:58:0a:f4:01:05"}, 0, "")...)

	t.Run("leaked namespace with the pod's IP and MAC", func(t *testing.T) {
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)},
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 15, v1alpha1.TCPRefused: 5}),
			fixture.TCP("tcp-2", fixture.EndpointLabel("svc/web", web1), "10.244.1.5:8080", fixture.Outcomes{v1alpha1.TCPOK: 11, v1alpha1.TCPRefused: 9}),
			fixture.TCP("tcp-3", fixture.EndpointLabel("svc/web", web2), "10.244.0.7:8080", fixture.Outcomes{v1alpha1.TCPOK: 20}),
			node2Scan([]v1alpha1.DuplicateIP{web1Holders()}, leaked),
			// Node 1 shares node 2's kernel (nested test nodes) and sees the same two namespaces.
			fixture.NSScan("nsscan-node1", fixture.Node1, v1alpha1.StatusFail, &v1alpha1.NSScanResult{NamespaceCount: 9,
				Duplicates: []v1alpha1.DuplicateIP{web1Holders()}}),
			fixture.Trace("trace:10.244.1.5:8080", "svc/web endpoint 10.244.1.5:8080", "10.244.1.5", 8080, hops, probes),
		)
		diagnoseAndCheck(t, r, want{
			id:  IDPodIPConflict,
			hop: "node k8slab-node2: 10.244.1.5 held twice on the bridge, ports veth8c0d4e21 (pod default/web-1) and nclk4f2a1c (leaked netns net:[4026532777])",
			summary: []string{"svc/web:http: IP 10.244.1.5 is held by 2 network namespaces on node k8slab-node2",
				"pod default/web-1 and a leaked namespace net:[4026532777] (pid 52117 busybox, parent 1 (re-parented to init))"},
			evidence: []string{
				"pod default/web-1 (sandbox 9d1f0c7e5b3a2): net:[4026532401] eth0 10.244.1.5/24 mac 0a:58:0a:f4:01:05",
				"pid 41230 pause, parent 41201 containerd-shim",
				"no live pod: net:[4026532777] eth0 10.244.1.5/24 mac 0a:58:0a:f4:01:05, bridge port nclk4f2a1c, pid 52117 busybox, parent 1 (re-parented to init), leaked: yes",
				"same MAC 0a:58:0a:f4:01:05: duplicate address detection (arping -D)",
				"10.244.1.5:8080: 9 of 20 refused (45%)",
				"via the Service IP 10.96.0.20:80: 5 of 20 refused (25%)",
				"2 of 3 SYNs answered with SYN-ACK, 1 with RST",
				"node k8slab-node1's scan sees the same namespaces: the nodes share one kernel",
			},
			checkIDs: []string{"nsscan-node1", "nsscan-node2", "tcp-1", "tcp-2", "trace:10.244.1.5:8080"},
		})
	})

	t.Run("leak alone is a warning", func(t *testing.T) {
		other := leaked
		other.Addrs = []string{"10.244.1.250/24 on eth0"}
		// A pod being created while the scan ran: newer than the API's pod list, not leaked.
		creating := v1alpha1.LeakedNetNS{Inode: 4026532900, Addrs: []string{"10.244.1.31/24 on eth0"},
			Processes: []v1alpha1.NSProcess{{PID: 6258, Comm: "runc:[2:INIT]", PPID: 6170}}, Reason: "owned by no live pod"}
		r := fixture.NodeReport([]v1alpha1.Target{fixture.WebService(web1, web2)},
			fixture.TCP("tcp-1", "svc/web", fixture.WebClusterIP+":80", fixture.Outcomes{v1alpha1.TCPOK: 20}),
			node2Scan(nil, other, creating),
			fixture.NSScan("nsscan-node1", fixture.Node1, v1alpha1.StatusWarn, &v1alpha1.NSScanResult{NamespaceCount: 6, SandboxesKnown: true,
				Namespaces: []v1alpha1.NetNamespace{
					{Inode: 4026532601, Interfaces: []v1alpha1.Interface{{Name: "eth0", Addrs: []string{"10.244.0.66/24"}}}},
					// A pod of node 2, seen because both nodes share one kernel (nested test nodes).
					{Inode: 4026532602, Interfaces: []v1alpha1.Interface{{Name: "eth0", Addrs: []string{"10.244.1.77/24"}}}},
					{Inode: 4026531840, Host: true},
				},
				OrphanShims: []v1alpha1.OrphanShim{
					{PID: 3120, PPID: 1, Comm: "containerd-shim", SandboxID: "77aa0c1e2d3f4a5b6c7d8e9f00112233",
						RuntimeNamespace: "k8s.io", Children: []v1alpha1.NSProcess{{PID: 3141, Comm: "pause", PPID: 3120}}, NetNSInodes: []uint64{4026532601}},
					{PID: 3220, PPID: 1, Comm: "containerd-shim", SandboxID: "88bb0c1e2d3f4a5b6c7d8e9f00112233",
						RuntimeNamespace: "k8s.io", Children: []v1alpha1.NSProcess{{PID: 3241, Comm: "pause", PPID: 3220}}, NetNSInodes: []uint64{4026532602}},
					// The node agent's own (hostNetwork) pod, started after the API's pod list was read.
					{PID: 3320, PPID: 1, Comm: "containerd-shim", SandboxID: "99cc0c1e2d3f4a5b6c7d8e9f00112233", RuntimeNamespace: "k8s.io",
						Children: []v1alpha1.NSProcess{{PID: 3341, Comm: "netcheck-probe", PPID: 3320}}, NetNSInodes: []uint64{4026531840}},
				}}),
		)
		diagnoseAndCheck(t, r,
			want{id: IDLeakedNetns, hop: "node k8slab-node1", summary: []string{"node k8slab-node1: 1 orphaned runtime shim"},
				evidence: []string{"orphaned shim pid 3120 containerd-shim, parent 1, sandbox 77aa0c1e2d3f4 gone, still running pid 3141 pause, parent 3120 in net:[4026532601]"},
				checkIDs: []string{"nsscan-node1"}},
			want{id: IDLeakedNetns, hop: "node k8slab-node2", summary: []string{"node k8slab-node2: 1 leaked network namespace"},
				evidence: []string{"leaked net:[4026532777] holding 10.244.1.250/24 on eth0, bridge port nclk4f2a1c, pid 52117 busybox, parent 1 (re-parented to init): address in pod CIDR"},
				checkIDs: []string{"nsscan-node2"}},
		)
	})
}
