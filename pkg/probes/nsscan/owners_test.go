package nsscan

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

func TestOwnByPods(t *testing.T) {
	const mac = "02:00:00:00:00:0a"
	web1 := v1alpha1.NodePod{Namespace: "default", Name: "web-1", UID: "u-web-1", IPs: []string{"10.244.1.5"}}
	web2 := v1alpha1.NodePod{Namespace: "default", Name: "web-2", UID: "u-web-2", IPs: []string{"10.244.1.6"}}
	hostPod := v1alpha1.NodePod{Namespace: "kube-system", Name: "kube-proxy-x", UID: "u-proxy", HostNetwork: true, IPs: []string{"192.168.1.10"}}
	type owner struct{ name, via string }
	for _, tc := range []struct {
		name     string
		nss      []v1alpha1.NetNamespace
		pods     []v1alpha1.NodePod
		uidOfNS  map[uint64]string
		want     map[uint64]owner // inode -> owner; absent: unowned
		unjudged []uint64
	}{
		{
			name: "the pod by its processes' cgroup, a stray namespace with its IP owned by nobody",
			nss:  []v1alpha1.NetNamespace{ns(1, mac, "10.244.1.5/24"), ns(2, mac, "10.244.1.5/24")},
			pods: []v1alpha1.NodePod{web1}, uidOfNS: map[uint64]string{1: "u-web-1", 2: "u-dead"},
			want: map[uint64]owner{1: {"web-1", v1alpha1.OwnerViaCgroup}},
		},
		{
			name: "a namespace without processes (a bind mount) is the pod's by its IP",
			nss:  []v1alpha1.NetNamespace{ns(1, mac, "10.244.1.5/24"), ns(3, "", "10.244.1.6/24")},
			pods: []v1alpha1.NodePod{web1, web2}, uidOfNS: map[uint64]string{1: "u-web-1"},
			want: map[uint64]owner{1: {"web-1", v1alpha1.OwnerViaCgroup}, 3: {"web-2", v1alpha1.OwnerViaIP}},
		},
		{
			name: "two namespaces name the same pod: the one holding its IP is the pod's",
			nss:  []v1alpha1.NetNamespace{ns(1, mac, "10.244.1.5/24"), ns(2, "")},
			pods: []v1alpha1.NodePod{web1}, uidOfNS: map[uint64]string{1: "u-web-1", 2: "u-web-1"},
			want: map[uint64]owner{1: {"web-1", v1alpha1.OwnerViaCgroup}},
		},
		{
			name: "two namespaces name the same pod and both hold its IP: neither is judged",
			nss:  []v1alpha1.NetNamespace{ns(1, mac, "10.244.1.5/24"), ns(2, mac, "10.244.1.5/24")},
			pods: []v1alpha1.NodePod{web1}, uidOfNS: map[uint64]string{1: "u-web-1", 2: "u-web-1"},
			unjudged: []uint64{1, 2},
		},
		{
			name:     "two unclaimed namespaces hold a pod's IP: neither is judged",
			nss:      []v1alpha1.NetNamespace{ns(1, mac, "10.244.1.5/24"), ns(2, mac, "10.244.1.5/24")},
			pods:     []v1alpha1.NodePod{web1},
			unjudged: []uint64{1, 2},
		},
		{
			name: "hostNetwork pods and the host namespace never own",
			nss:  []v1alpha1.NetNamespace{host(ns(1, mac, "192.168.1.10/24")), ns(2, "", "192.168.1.10/32")},
			pods: []v1alpha1.NodePod{hostPod}, uidOfNS: map[uint64]string{1: "u-proxy", 2: "u-proxy"},
		},
		{
			name: "a pod gone from the API owns nothing",
			nss:  []v1alpha1.NetNamespace{ns(1, mac, "10.244.1.9/24")},
			pods: []v1alpha1.NodePod{web1}, uidOfNS: map[uint64]string{1: "u-gone"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unjudged := ownByPods(tc.nss, tc.pods, tc.uidOfNS)
			got := map[uint64]owner{}
			for _, n := range tc.nss {
				if n.Sandbox != nil {
					got[n.Inode] = owner{n.Sandbox.Name, n.Sandbox.Via}
					if n.Sandbox.ID != "" || n.Sandbox.UID == "" || n.Sandbox.Namespace != "default" {
						t.Errorf("ref %+v: want the API pod's namespace and UID and no sandbox ID", *n.Sandbox)
					}
				}
			}
			if tc.want == nil {
				tc.want = map[uint64]owner{}
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("owners = %v, want %v", got, tc.want)
			}
			if gotU := slices.Sorted(maps.Keys(unjudged)); !slices.Equal(gotU, tc.unjudged) {
				t.Errorf("unjudged = %v, want %v", gotU, tc.unjudged)
			}
		})
	}
}

// With API ownership a namespace on the pod network is leaked unless a live
// pod owns it or its owner could not be told.
func TestLeakedNamespacesByAPI(t *testing.T) {
	owned := ns(1, "", "10.244.1.5/24")
	owned.Sandbox = &v1alpha1.SandboxRef{Namespace: "default", Name: "web-1", UID: "u1", Via: v1alpha1.OwnerViaCgroup}
	byIP := ns(2, "", "10.244.1.6/24")
	byIP.Sandbox = &v1alpha1.SandboxRef{Namespace: "default", Name: "web-2", UID: "u2", Via: v1alpha1.OwnerViaIP}
	stray, ambiguous := ns(3, "", "10.244.1.7/24"), ns(4, "", "10.244.1.8/24")
	got := leakedNamespaces(facts{Namespaces: []v1alpha1.NetNamespace{owned, byIP, stray, ambiguous}, SandboxesKnown: true,
		ByAPI: true, PodCIDR: netip.MustParsePrefix("10.244.0.0/16"), Unjudged: map[uint64]bool{4: true}})
	if len(got) != 1 || got[0].Inode != 3 || got[0].Reason != "address in pod CIDR 10.244.0.0/16; owned by no live pod" {
		t.Errorf("leaked = %+v, want only net:[3] owned by no live pod", got)
	}
}

// Without sandbox IDs, a shim is orphaned when its children's cgroups name
// pods and none is live; children naming no pod leave it unjudged.
func TestOrphanShimsByAPI(t *testing.T) {
	procs := map[int]netns.Process{
		900: {PID: 900, PPID: 1, Comm: "containerd-shim"}, // a live pod's
		901: {PID: 901, PPID: 900, Comm: "pause"},
		910: {PID: 910, PPID: 1, Comm: "containerd-shim"}, // its pod is gone
		911: {PID: 911, PPID: 910, Comm: "pause"},
		912: {PID: 912, PPID: 910, Comm: "nginx"},
		940: {PID: 940, PPID: 1, Comm: "containerd-shim"}, // no children: cannot tell
		950: {PID: 950, PPID: 1, Comm: "containerd-shim"}, // children outside pods
		951: {PID: 951, PPID: 950, Comm: "sh"},
		960: {PID: 960, PPID: 1, Comm: "containerd-shim"}, // one child of a live pod keeps it
		961: {PID: 961, PPID: 960, Comm: "pause"},
		962: {PID: 962, PPID: 960, Comm: "app"},
	}
	args := map[int][]string{}
	for _, pid := range []int{900, 910, 940, 950, 960} {
		args[pid] = []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", fmt.Sprint("sb", pid)}
	}
	f := facts{Procs: procs, ShimArgs: args, SandboxesKnown: true, ByAPI: true,
		LivePodUIDs: map[string]bool{"u-live": true, "u-live2": true},
		PodUIDOfPID: map[int]string{901: "u-live", 911: "u-gone", 912: "u-gone", 961: "u-gone", 962: "u-live2"},
		NSOfPID:     map[int]uint64{911: 42, 912: 42}}
	got := orphanShims(f)
	if len(got) != 1 || got[0].PID != 910 || got[0].SandboxID != "sb910" || len(got[0].Children) != 2 ||
		!slices.Equal(got[0].NetNSInodes, []uint64{42}) {
		t.Fatalf("orphans = %+v, want shim 910 with its two children in net:[42]", got)
	}
}
