package nsscan

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// ns builds a namespace with one eth0 carrying addrs (and lo with loopback).
func ns(inode uint64, mac string, addrs ...string) v1alpha1.NetNamespace {
	return v1alpha1.NetNamespace{Inode: inode, Interfaces: []v1alpha1.Interface{
		{Name: "lo", Addrs: []string{"127.0.0.1/8", "::1/128"}},
		{Name: "eth0", MAC: mac, Addrs: addrs},
	}}
}

func withSandbox(n v1alpha1.NetNamespace, name string) v1alpha1.NetNamespace {
	n.Sandbox = &v1alpha1.SandboxRef{ID: "sb-" + name, Namespace: "default", Name: name, State: "SANDBOX_READY"}
	return n
}

func withPorts(n v1alpha1.NetNamespace, ports ...string) v1alpha1.NetNamespace {
	n.BridgePorts = ports
	return n
}

func host(n v1alpha1.NetNamespace) v1alpha1.NetNamespace { n.Host = true; return n }

func TestDuplicateIPs(t *testing.T) {
	const macA, macB = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
	for _, tc := range []struct {
		name    string
		nss     []v1alpha1.NetNamespace
		targets []string
		// want: ip -> holder inodes in order, and sameMAC
		want    map[string][]uint64
		sameMAC map[string]bool
	}{
		{
			name: "same IP same MAC in a pod and a stray namespace",
			nss:  []v1alpha1.NetNamespace{ns(2, macA, "10.244.1.5/24"), withSandbox(ns(1, macA, "10.244.1.5/24"), "web-1")},
			want: map[string][]uint64{"10.244.1.5": {1, 2}}, sameMAC: map[string]bool{"10.244.1.5": true},
		},
		{
			name: "different MACs are still a duplicate",
			nss:  []v1alpha1.NetNamespace{ns(1, macA, "10.244.1.5/24"), ns(2, macB, "10.244.1.5/32")},
			want: map[string][]uint64{"10.244.1.5": {1, 2}}, sameMAC: map[string]bool{"10.244.1.5": false},
		},
		{
			name: "loopback, link-local and multicast are the same everywhere by design",
			nss: []v1alpha1.NetNamespace{
				ns(1, macA, "169.254.1.1/32", "fe80::1/64", "224.0.0.251/32", "10.244.1.5/24"),
				ns(2, macB, "169.254.1.1/32", "fe80::1/64", "224.0.0.251/32", "10.244.1.6/24"),
			},
			want: map[string][]uint64{},
		},
		{
			name: "two interfaces of one namespace are not a duplicate",
			nss: []v1alpha1.NetNamespace{{Inode: 1, Interfaces: []v1alpha1.Interface{
				{Name: "eth0", Addrs: []string{"10.0.0.1/24"}}, {Name: "eth1", Addrs: []string{"10.0.0.1/24"}}}}},
			want: map[string][]uint64{},
		},
		{
			name:    "a target held once is reported with its single holder",
			nss:     []v1alpha1.NetNamespace{withSandbox(ns(1, macA, "10.244.1.5/24"), "web-1"), ns(2, macB, "10.244.1.6/24")},
			targets: []string{"10.244.1.5"},
			want:    map[string][]uint64{"10.244.1.5": {1}},
		},
		{
			name:    "a target held nowhere is reported with no holders",
			nss:     []v1alpha1.NetNamespace{ns(1, macA, "10.244.1.5/24")},
			targets: []string{"10.244.9.9"},
			want:    map[string][]uint64{"10.244.9.9": {}},
		},
		{
			name: "IPv6 duplicates and the host namespace",
			nss:  []v1alpha1.NetNamespace{host(ns(1, macA, "fd00::5/64")), ns(2, macB, "fd00::5/128")},
			want: map[string][]uint64{"fd00::5": {1, 2}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := duplicateIPs(facts{Namespaces: tc.nss, TargetIPs: tc.targets, SandboxesKnown: true}, nil)
			gotMap := map[string][]uint64{}
			for _, d := range got {
				inodes := []uint64{}
				for _, h := range d.Holders {
					inodes = append(inodes, h.Inode)
				}
				gotMap[d.IP] = inodes
				if want, ok := tc.sameMAC[d.IP]; ok && d.SameMAC != want {
					t.Errorf("%s sameMAC = %v, want %v", d.IP, d.SameMAC, want)
				}
				if !strings.HasPrefix(d.Summary, d.IP+" is held") {
					t.Errorf("summary %q does not start with the IP", d.Summary)
				}
				if d.Target != slices.Contains(tc.targets, d.IP) {
					t.Errorf("%s Target = %v", d.IP, d.Target)
				}
			}
			if len(gotMap) != len(tc.want) {
				t.Fatalf("duplicates = %v, want %v", gotMap, tc.want)
			}
			for ip, want := range tc.want {
				if g, ok := gotMap[ip]; !ok || !slices.Equal(g, want) {
					t.Errorf("%s holders = %v, want %v", ip, g, want)
				}
			}
		})
	}
}

func TestLeakedNamespaces(t *testing.T) {
	cidr := netip.MustParsePrefix("10.244.0.0/16")
	nodeNS := host(ns(1, "", "192.168.1.10/24", "10.244.0.1/24")) // cni0 gateway lives here
	bridgeNS := ns(2, "", "10.244.0.1/24")                        // a separate node namespace holding the bridge
	for _, tc := range []struct {
		name       string
		nss        []v1alpha1.NetNamespace
		known      bool
		cidr       netip.Prefix
		wantInodes []uint64
		wantReason string
	}{
		{name: "pod-CIDR address and no sandbox", known: true, cidr: cidr,
			nss:        []v1alpha1.NetNamespace{nodeNS, bridgeNS, withSandbox(ns(3, "", "10.244.1.5/24"), "web-1"), ns(4, "", "10.244.1.5/24")},
			wantInodes: []uint64{4}, wantReason: "address in pod CIDR 10.244.0.0/16; owned by no pod sandbox"},
		{name: "attached to the bridge without an address", known: true,
			nss:        []v1alpha1.NetNamespace{nodeNS, withPorts(ns(5, ""), "veth1234")},
			wantInodes: []uint64{5}, wantReason: "attached to bridge cni0 via veth1234; owned by no pod sandbox"},
		{name: "both criteria", known: true, cidr: cidr,
			nss:        []v1alpha1.NetNamespace{withPorts(ns(6, "", "10.244.1.7/24"), "veth7")},
			wantInodes: []uint64{6}, wantReason: "address in pod CIDR 10.244.0.0/16; attached to bridge cni0 via veth7; owned by no pod sandbox"},
		{name: "a stopped sandbox does not own a namespace still on the pod network", known: true, cidr: cidr,
			nss: []v1alpha1.NetNamespace{func() v1alpha1.NetNamespace {
				n := withSandbox(ns(9, "", "10.244.1.9/24"), "web-0")
				n.Sandbox.State = "SANDBOX_NOTREADY"
				return n
			}()},
			wantInodes: []uint64{9}, wantReason: "address in pod CIDR 10.244.0.0/16; its sandbox sb-web-0 (default/web-0) is SANDBOX_NOTREADY, so its network should be gone"},
		{name: "another node on the same kernel, with its own cni0, is not a pod", known: true, cidr: cidr,
			nss: []v1alpha1.NetNamespace{{Inode: 10, Interfaces: []v1alpha1.Interface{
				{Name: "cni0", Kind: "bridge", Addrs: []string{"10.244.2.1/24"}}, {Name: "flannel.1", Kind: "vxlan", Addrs: []string{"10.244.2.0/32"}}}}}},
		{name: "namespaces off the pod network are not pods' business", known: true, cidr: cidr,
			nss: []v1alpha1.NetNamespace{ns(7, "", "172.17.0.2/16"), ns(8, "")}},
		{name: "without the runtime nothing is leaked", known: false, cidr: cidr,
			nss: []v1alpha1.NetNamespace{ns(4, "", "10.244.1.5/24")}},
		{name: "without a pod CIDR the address criterion is off", known: true,
			nss: []v1alpha1.NetNamespace{ns(4, "", "10.244.1.5/24")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := leakedNamespaces(facts{Namespaces: tc.nss, SandboxesKnown: tc.known, PodCIDR: tc.cidr,
				BridgeName: "cni0", BridgeInode: 2})
			var inodes []uint64
			for _, l := range got {
				inodes = append(inodes, l.Inode)
				if l.Reason != tc.wantReason {
					t.Errorf("reason = %q, want %q", l.Reason, tc.wantReason)
				}
			}
			if !slices.Equal(inodes, tc.wantInodes) {
				t.Errorf("leaked = %v, want %v", inodes, tc.wantInodes)
			}
		})
	}
}

func TestOrphanShims(t *testing.T) {
	procs := map[int]netns.Process{
		1:    {PID: 1, PPID: 0, Comm: "systemd"},
		800:  {PID: 800, PPID: 1, Comm: "containerd"},
		900:  {PID: 900, PPID: 1, Comm: "containerd-shim"}, // live sandbox
		901:  {PID: 901, PPID: 900, Comm: "pause"},
		910:  {PID: 910, PPID: 1, Comm: "containerd-shim"}, // sandbox gone: orphan
		911:  {PID: 911, PPID: 910, Comm: "pause"},
		912:  {PID: 912, PPID: 910, Comm: "nginx"},
		920:  {PID: 920, PPID: 1, Comm: "containerd-shim"},   // docker's, not CRI's
		930:  {PID: 930, PPID: 800, Comm: "containerd-shim"}, // not re-parented (v1 shim)
		940:  {PID: 940, PPID: 1, Comm: "containerd-shim"},   // -id=value form, gone
		1000: {PID: 1000, PPID: 1, Comm: "sshd"},
	}
	args := map[int][]string{
		900: {"/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "live", "-address", "/run/containerd/containerd.sock"},
		910: {"/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "gone", "-address", "/run/containerd/containerd.sock"},
		920: {"/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", "abc", "-address", "/run/containerd/containerd.sock"},
		930: {"containerd-shim", "-namespace", "k8s.io", "-workdir", "/x", "-address", "/run/containerd/containerd.sock"},
		940: {"/usr/bin/containerd-shim-kata-v2", "--namespace=k8s.io", "--id=gone2"},
	}
	f := facts{Procs: procs, ShimArgs: args, SandboxIDs: map[string]bool{"live": true}, SandboxesKnown: true,
		NSOfPID: map[int]uint64{901: 41, 911: 42, 912: 42}}
	got := orphanShims(f)
	if len(got) != 2 || got[0].PID != 910 || got[1].PID != 940 {
		t.Fatalf("orphans = %+v, want shims 910 and 940", got)
	}
	o := got[0]
	wantChildren := []v1alpha1.NSProcess{
		{PID: 911, Comm: "pause", PPID: 910, ParentComm: "containerd-shim", ParentPPID: 1},
		{PID: 912, Comm: "nginx", PPID: 910, ParentComm: "containerd-shim", ParentPPID: 1},
	}
	if o.SandboxID != "gone" || o.RuntimeNamespace != "k8s.io" || !slices.Equal(o.Children, wantChildren) ||
		!slices.Equal(o.NetNSInodes, []uint64{42}) {
		t.Errorf("orphan 910 = %+v", o)
	}
	if got[1].SandboxID != "gone2" || got[1].RuntimeNamespace != "k8s.io" {
		t.Errorf("orphan 940 = %+v", got[1])
	}
	f.SandboxesKnown = false
	if got := orphanShims(f); len(got) != 0 {
		t.Errorf("orphans without sandbox knowledge = %+v", got)
	}
}

func TestClassify(t *testing.T) {
	dup := v1alpha1.DuplicateIP{IP: "10.244.1.5", Holders: make([]v1alpha1.NSHolder, 2), Summary: "10.244.1.5 is held by 2"}
	single := v1alpha1.DuplicateIP{IP: "10.244.1.6", Target: true, Holders: make([]v1alpha1.NSHolder, 1), Summary: "only one"}
	for _, tc := range []struct {
		name   string
		r      v1alpha1.NSScanResult
		want   v1alpha1.Status
		substr string
	}{
		{"duplicate fails", v1alpha1.NSScanResult{Duplicates: []v1alpha1.DuplicateIP{single, dup}, SandboxesKnown: true},
			v1alpha1.StatusFail, "10.244.1.5 is held by 2"},
		{"leak warns", v1alpha1.NSScanResult{NamespaceCount: 9, SandboxesKnown: true, Leaked: []v1alpha1.LeakedNetNS{{Inode: 7, Reason: "attached"}}},
			v1alpha1.StatusWarn, "1 leaked network namespaces (e.g. net:[7]"},
		{"orphan warns", v1alpha1.NSScanResult{SandboxesKnown: true, OrphanShims: []v1alpha1.OrphanShim{{PID: 910, PPID: 1, Comm: "containerd-shim", SandboxID: "gone"}}},
			v1alpha1.StatusWarn, "pid 910 containerd-shim, ppid 1, sandbox gone gone"},
		{"a single-holder target passes", v1alpha1.NSScanResult{NamespaceCount: 3, SandboxesKnown: true, Duplicates: []v1alpha1.DuplicateIP{single}},
			v1alpha1.StatusPass, "3 network namespaces, no IP held twice"},
		{"unknown ownership is said", v1alpha1.NSScanResult{NamespaceCount: 3, SandboxSource: "no container runtime: x"},
			v1alpha1.StatusPass, "pod ownership unknown (no container runtime: x)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, sum := classify(&tc.r)
			if st != tc.want || !strings.Contains(sum, tc.substr) {
				t.Errorf("classify() = %s, %q; want %s containing %q", st, sum, tc.want, tc.substr)
			}
		})
	}
}

func TestFlagValue(t *testing.T) {
	args := []string{"shim", "-namespace", "k8s.io", "--id=abc", "-address", "/run/x.sock"}
	for name, want := range map[string]string{"namespace": "k8s.io", "id": "abc", "address": "/run/x.sock", "debug": ""} {
		if got := flagValue(args, name); got != want {
			t.Errorf("flagValue(%s) = %q, want %q", name, got, want)
		}
	}
}
