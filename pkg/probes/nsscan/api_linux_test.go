package nsscan

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
)

const (
	web1UID    = "6b1e0c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b"
	web2UID    = "7c2f1d3b-4a5e-4f6a-9b0c-1d2e3f4a5b6c"
	deadUID    = "8d3a2e4c-5b6f-4a7b-8c1d-2e3f4a5b6c7d"
	proxyUID   = "9e4b3f5d-6c7a-4b8c-9d2e-3f4a5b6c7d8e"
	liveCtrID  = "1111111111111111111111111111111111111111111111111111111111111111"
	orphanCtID = "2222222222222222222222222222222222222222222222222222222222222222"
)

// The production incident again, with no container runtime at all: the live
// pod's pause process sits in its pod's real cgroup, the leaked namespace's in
// the cgroup of a pod the API no longer has, and the request carries the API
// server's pods on the node. Ownership, the leak and the orphaned shim must
// all come out of the API pods and the cgroups.
func TestScanWithAPIPodsNamesBothHoldersOfALeakedPodIP(t *testing.T) {
	in := buildIncident(t)
	critest.PodCgroup(t, web1UID, liveCtrID, in.live.PID)
	critest.PodCgroup(t, deadUID, orphanCtID, in.orphan.PausePID)
	spec := in.spec()
	spec.CRISocket = ""
	spec.Pods = []v1alpha1.NodePod{
		{Namespace: "default", Name: "web-1", UID: web1UID, IPs: []string{podIP}},
		// The "other" namespace has no process: it is web-2's by its IP.
		{Namespace: "default", Name: "web-2", UID: web2UID, IPs: []string{"198.19.1.6"}},
		{Namespace: "kube-system", Name: "kube-proxy-x", UID: proxyUID, HostNetwork: true},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := Check{}.Run(ctx, v1alpha1.CheckSpec{ID: "c1", Check: v1alpha1.CheckNSScan, NSScan: spec}, func(string) {})
	if res.Status != v1alpha1.StatusFail || res.NSScan == nil {
		t.Fatalf("status %s (%s), want fail with evidence", res.Status, res.Error)
	}
	t.Logf("%s", res.Summary)
	r := res.NSScan
	if !r.SandboxesKnown || !strings.HasPrefix(r.SandboxSource, "api: 3 pods on the node") {
		t.Errorf("sandbox source %q (known %v)", r.SandboxSource, r.SandboxesKnown)
	}

	dup := findDup(t, r, podIP)
	if !dup.Target || !dup.SameMAC || len(dup.Holders) != 2 {
		t.Fatalf("duplicate %s = %+v; want the target held twice with the same MAC", podIP, dup)
	}
	pod, leak := dup.Holders[0], dup.Holders[1]
	wantRef := v1alpha1.SandboxRef{Namespace: "default", Name: "web-1", UID: web1UID, Via: v1alpha1.OwnerViaCgroup}
	if pod.Sandbox == nil || *pod.Sandbox != wantRef || pod.Leaked || pod.Inode != in.live.NS.ID().Ino {
		t.Errorf("first holder = %+v (sandbox %+v); want the live pod web-1 owned by cgroup", pod, pod.Sandbox)
	}
	wantProc := v1alpha1.NSProcess{PID: in.orphan.PausePID, Comm: "pause", PPID: in.orphan.ShimPID,
		ParentComm: "containerd-shim", ParentPPID: 1}
	if leak.Sandbox != nil || !leak.Leaked || leak.Inode != in.orphan.NS.ID().Ino || !slices.Equal(leak.Processes, []v1alpha1.NSProcess{wantProc}) {
		t.Errorf("second holder = %+v; want the leaked namespace run by %+v", leak, wantProc)
	}
	for _, want := range []string{"pod default/web-1 (uid 6b1e0c2a, by cgroup)", "leaked namespace (no live pod)", "cni-leaked",
		strconv.Itoa(in.orphan.PausePID) + " pause", "parent " + strconv.Itoa(in.orphan.ShimPID) + " containerd-shim (ppid 1)"} {
		if !strings.Contains(dup.Summary, want) {
			t.Errorf("summary lacks %q: %s", want, dup.Summary)
		}
	}

	mine := map[uint64]string{in.live.NS.ID().Ino: "live", in.orphan.NS.ID().Ino: "leaked", in.other.ID().Ino: "other",
		in.plain.ID().Ino: "plain", in.node.ID().Ino: "node"}
	var leakedMine []string
	for _, l := range r.Leaked {
		if name, ok := mine[l.Inode]; ok {
			leakedMine = append(leakedMine, name)
			if !strings.HasSuffix(l.Reason, "owned by no live pod") {
				t.Errorf("leak reason %q", l.Reason)
			}
		}
	}
	if !slices.Equal(leakedMine, []string{"leaked"}) {
		t.Errorf("leaked among the fixture = %v, want [leaked]", leakedMine)
	}
	for _, n := range r.Namespaces {
		if n.Inode == in.other.ID().Ino && (n.Sandbox == nil || n.Sandbox.Name != "web-2" || n.Sandbox.Via != v1alpha1.OwnerViaIP) {
			t.Errorf("other namespace owner = %+v, want web-2 by its IP", n.Sandbox)
		}
	}

	i := slices.IndexFunc(r.OrphanShims, func(s v1alpha1.OrphanShim) bool { return s.PID == in.orphan.ShimPID })
	if i < 0 {
		t.Fatalf("orphan shim %d not reported: %+v", in.orphan.ShimPID, r.OrphanShims)
	}
	if s := r.OrphanShims[i]; s.SandboxID != "sb-dead0123456789" || len(s.Children) != 1 || s.Children[0].PID != in.orphan.PausePID ||
		!slices.Equal(s.NetNSInodes, []uint64{in.orphan.NS.ID().Ino}) {
		t.Errorf("orphan shim = %+v", s)
	}
}
