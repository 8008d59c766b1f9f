package nsscan

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/criclient"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns/netnstest"
)

// Addresses come from 198.19.0.0/16 (RFC 2544 benchmarking space), which no
// cluster on this machine uses, so the node-wide scan cannot confuse them with
// real pods; BenchmarkScan and bench/nsscan.sh use 198.18.0.0/16, so a
// benchmark running at the same time cannot add holders either.
const (
	podCIDR  = "198.19.0.0/16"
	bridgeIP = "198.19.0.1/16"
	podIP    = "198.19.1.5"
	podMAC   = "02:42:c6:13:01:05"
	bridgeNm = "ncbr0"
)

// incident rebuilds the production fault on real namespaces: the live pod web-1
// and a leaked namespace both hold podIP with the same MAC on the same bridge;
// the leaked one is still run by an orphaned containerd shim re-parented to
// PID 1 whose sandbox the runtime no longer knows. Bystanders that must not be
// reported: another live pod, a process namespace with only lo, the node
// namespace holding the bridge (with its gateway address in the pod CIDR).
type incident struct {
	dir, netnsDir, nodePath string
	live                    *netnstest.Holder
	orphan                  orphan
	other, plain            *netns.NetNS
	node                    *netns.NetNS
	criSock                 string
}

func buildIncident(t *testing.T) incident {
	t.Helper()
	netnstest.SkipUnlessRoot(t)
	var in incident
	in.dir = t.TempDir()
	in.netnsDir = filepath.Join(in.dir, "netns")
	if err := os.Mkdir(in.netnsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	in.node = netnstest.New(t)
	in.nodePath = filepath.Join(in.dir, "node-ns")
	netnstest.BindMount(t, in.node, in.nodePath)
	netnstest.AddBridge(t, in.node, bridgeNm, bridgeIP)

	in.live = netnstest.StartHolder(t)
	netnstest.BindMount(t, in.live.NS, filepath.Join(in.netnsDir, "cni-live"))
	netnstest.AttachPod(t, in.node, bridgeNm, "vethlive", netnstest.Pod{NS: in.live.NS, IfName: "eth0", MAC: podMAC, Addr: podIP + "/16"})

	in.orphan = startOrphanShim(t, "sb-dead0123456789")
	netnstest.BindMount(t, in.orphan.NS, filepath.Join(in.netnsDir, "cni-leaked"))
	netnstest.AttachPod(t, in.node, bridgeNm, "vethleak", netnstest.Pod{NS: in.orphan.NS, IfName: "eth0", MAC: podMAC, Addr: podIP + "/16"})

	in.other = netnstest.New(t)
	netnstest.BindMount(t, in.other, filepath.Join(in.netnsDir, "cni-other"))
	netnstest.AttachPod(t, in.node, bridgeNm, "vethother", netnstest.Pod{NS: in.other, IfName: "eth0", MAC: "02:42:c6:13:01:06", Addr: "198.19.1.6/16"})
	in.plain = netnstest.StartHolder(t).NS

	in.criSock = critest.Serve(t, &critest.Runtime{Sandboxes: []critest.Sandbox{
		{ID: "sb-live0123456789", Namespace: "default", Name: "web-1", UID: "u-web-1",
			NetNSPath: filepath.Join(in.netnsDir, "cni-live"), PID: in.live.PID},
		// No path: owned through its (here absent) pause PID only, as CRI-O
		// without infra container may report; found by path below instead.
		{ID: "sb-other123456789", Namespace: "default", Name: "web-2", NetNSPath: filepath.Join(in.netnsDir, "cni-other")},
		{ID: "sb-stale123456789", Namespace: "default", Name: "web-0", NotReady: true},
	}})
	return in
}

func (in incident) spec() *v1alpha1.NSScanSpec {
	return &v1alpha1.NSScanSpec{
		TargetIPs: []string{podIP}, PodCIDR: podCIDR, BridgeName: bridgeNm, BridgeNetNS: in.nodePath,
		NetNSDirs: []string{in.netnsDir}, CRISocket: in.criSock,
	}
}

func runCheck(t *testing.T, spec *v1alpha1.NSScanSpec) v1alpha1.CheckResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var progress []string
	res := Check{CRI: criclient.ListSandboxes}.Run(ctx, v1alpha1.CheckSpec{ID: "c1", Check: v1alpha1.CheckNSScan, NSScan: spec},
		func(m string) { progress = append(progress, m) })
	if res.Status == v1alpha1.StatusError {
		t.Fatalf("check errored: %s", res.Error)
	}
	if res.NSScan == nil {
		t.Fatal("no NSScan evidence")
	}
	t.Logf("status %s: %s (progress %q)", res.Status, res.Summary, progress)
	return res
}

func TestScanNamesBothHoldersOfALeakedPodIP(t *testing.T) {
	in := buildIncident(t)
	res := runCheck(t, in.spec())
	r := res.NSScan

	if res.Status != v1alpha1.StatusFail {
		t.Errorf("status = %s, want fail", res.Status)
	}
	if !r.SandboxesKnown || !strings.Contains(r.SandboxSource, "3 sandboxes") {
		t.Errorf("sandbox source = %q (known %v), want the 3 sandboxes of the fake runtime", r.SandboxSource, r.SandboxesKnown)
	}

	dup := findDup(t, r, podIP)
	if !dup.Target || !dup.SameMAC || len(dup.Holders) != 2 {
		t.Fatalf("duplicate %s = target %v sameMAC %v holders %+v; want target, same MAC, 2 holders", podIP, dup.Target, dup.SameMAC, dup.Holders)
	}
	pod, leak := dup.Holders[0], dup.Holders[1]
	if pod.Sandbox == nil || pod.Sandbox.ID != "sb-live0123456789" || pod.Sandbox.Name != "web-1" || pod.Leaked ||
		pod.Inode != in.live.NS.ID().Ino || !slices.Equal(pod.BridgePorts, []string{"vethlive"}) || pod.MAC != podMAC ||
		!hasPID(pod.Processes, in.live.PID) {
		t.Errorf("first holder = %+v; want the live pod web-1 via vethlive with pid %d", pod, in.live.PID)
	}
	wantProc := v1alpha1.NSProcess{PID: in.orphan.PausePID, Comm: "pause", PPID: in.orphan.ShimPID,
		ParentComm: "containerd-shim", ParentPPID: 1}
	if leak.Sandbox != nil || !leak.Leaked || leak.Inode != in.orphan.NS.ID().Ino ||
		!slices.Equal(leak.Paths, []string{filepath.Join(in.netnsDir, "cni-leaked")}) ||
		!slices.Equal(leak.BridgePorts, []string{"vethleak"}) || !slices.Equal(leak.Processes, []v1alpha1.NSProcess{wantProc}) {
		t.Errorf("second holder = %+v; want the leaked namespace with process %+v", leak, wantProc)
	}
	for _, want := range []string{"default/web-1", "sb-live", "leaked", "cni-leaked", strconv.Itoa(in.orphan.PausePID) + " pause",
		"parent " + strconv.Itoa(in.orphan.ShimPID) + " containerd-shim (ppid 1)", "same MAC " + podMAC} {
		if !strings.Contains(dup.Summary, want) {
			t.Errorf("summary lacks %q: %s", want, dup.Summary)
		}
	}
	if res.Summary != dup.Summary {
		t.Errorf("check summary = %q, want the duplicate's", res.Summary)
	}

	// Exactly the orphan's namespace is leaked among the fixture's.
	mine := map[uint64]string{in.live.NS.ID().Ino: "live", in.orphan.NS.ID().Ino: "leaked", in.other.ID().Ino: "other",
		in.plain.ID().Ino: "plain", in.node.ID().Ino: "node"}
	var leakedMine []string
	for _, l := range r.Leaked {
		if name, ok := mine[l.Inode]; ok {
			leakedMine = append(leakedMine, name)
			if !strings.Contains(l.Reason, "pod CIDR "+podCIDR) || !strings.Contains(l.Reason, "bridge "+bridgeNm+" via vethleak") {
				t.Errorf("leak reason = %q", l.Reason)
			}
		}
	}
	if !slices.Equal(leakedMine, []string{"leaked"}) {
		t.Errorf("leaked namespaces among the fixture = %v, want [leaked]", leakedMine)
	}

	var shim *v1alpha1.OrphanShim
	for i := range r.OrphanShims {
		if r.OrphanShims[i].PID == in.orphan.ShimPID {
			shim = &r.OrphanShims[i]
		}
	}
	if shim == nil {
		t.Fatalf("orphan shim %d not reported: %+v", in.orphan.ShimPID, r.OrphanShims)
	}
	if shim.PPID != 1 || shim.SandboxID != "sb-dead0123456789" || shim.RuntimeNamespace != "k8s.io" ||
		len(shim.Children) != 1 || shim.Children[0].PID != in.orphan.PausePID ||
		!slices.Equal(shim.NetNSInodes, []uint64{in.orphan.NS.ID().Ino}) {
		t.Errorf("orphan shim = %+v", *shim)
	}

	// The inventory has every fixture namespace, the other pod owned by path.
	byInode := map[uint64]v1alpha1.NetNamespace{}
	for _, ns := range r.Namespaces {
		byInode[ns.Inode] = ns
	}
	for ino, name := range mine {
		if _, ok := byInode[ino]; !ok {
			t.Errorf("namespace %s net:[%d] missing from the inventory", name, ino)
		}
	}
	if o := byInode[in.other.ID().Ino]; o.Sandbox == nil || o.Sandbox.Name != "web-2" || !hasAddr(o, "198.19.1.6/16") {
		t.Errorf("other pod namespace = %+v", o)
	}
	if n := byInode[in.node.ID().Ino]; !hasAddr(n, bridgeIP) || n.Sandbox != nil {
		t.Errorf("node namespace = %+v; want the bridge address and no sandbox", n)
	}
	if r.NamespaceCount != len(r.Namespaces) {
		t.Errorf("namespaceCount %d != %d namespaces", r.NamespaceCount, len(r.Namespaces))
	}
	for _, d := range r.Duplicates {
		if d.IP == "198.19.1.6" || d.IP == "198.19.0.1" {
			t.Errorf("%s reported as duplicate: %s", d.IP, d.Summary)
		}
	}
}

// Without the runtime the duplicate is still found (it needs no ownership), but
// nothing is called leaked or orphaned: the scan cannot know.
func TestScanWithoutRuntimeStillFindsTheDuplicate(t *testing.T) {
	in := buildIncident(t)
	spec := in.spec()
	spec.CRISocket = filepath.Join(in.dir, "no-runtime.sock")
	res := runCheck(t, spec)
	r := res.NSScan
	if res.Status != v1alpha1.StatusFail || r.SandboxesKnown || !strings.Contains(res.Summary, "pod ownership unknown") {
		t.Errorf("status %s, known %v, summary %q", res.Status, r.SandboxesKnown, res.Summary)
	}
	if dup := findDup(t, r, podIP); len(dup.Holders) != 2 || dup.Holders[0].Sandbox != nil {
		t.Errorf("duplicate holders = %+v", dup.Holders)
	}
	if len(r.Leaked) != 0 || len(r.OrphanShims) != 0 {
		t.Errorf("leaked %v / orphans %v reported without sandbox knowledge", r.Leaked, r.OrphanShims)
	}
}

func findDup(t *testing.T, r *v1alpha1.NSScanResult, ip string) v1alpha1.DuplicateIP {
	t.Helper()
	for _, d := range r.Duplicates {
		if d.IP == ip {
			return d
		}
	}
	t.Fatalf("%s not among duplicates %+v", ip, r.Duplicates)
	return v1alpha1.DuplicateIP{}
}

func hasPID(ps []v1alpha1.NSProcess, pid int) bool {
	return slices.ContainsFunc(ps, func(p v1alpha1.NSProcess) bool { return p.PID == pid })
}

func hasAddr(ns v1alpha1.NetNamespace, addr string) bool {
	for _, i := range ns.Interfaces {
		if slices.Contains(i.Addrs, addr) {
			return true
		}
	}
	return false
}
