package nsscan

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// criTimeout bounds the runtime calls; a hung runtime must not eat the check's
// whole budget, the inventory is still worth returning.
const criTimeout = 10 * time.Second

func run(ctx context.Context, spec *v1alpha1.NSScanSpec, progress probes.Progress, listCRI SandboxLister) (*v1alpha1.NSScanResult, error) {
	var podCIDR netip.Prefix
	if spec.PodCIDR != "" {
		p, err := netip.ParsePrefix(spec.PodCIDR)
		if err != nil {
			return nil, fmt.Errorf("podCIDR %q: %w", spec.PodCIDR, err)
		}
		podCIDR = p.Masked()
	}
	for _, ip := range spec.TargetIPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			return nil, fmt.Errorf("target IP %q: %w", ip, err)
		}
	}
	inv, err := Scan(ctx, Options{
		ProcRoot: spec.ProcRoot, HostRoot: spec.HostRoot, BindDirs: spec.NetNSDirs,
		BridgeName: spec.BridgeName, BridgeNetNS: spec.BridgeNetNS, Parallelism: spec.Parallelism,
	})
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("read %d network namespaces", len(inv.Namespaces)))

	f := facts{
		Namespaces: inv.Namespaces, Procs: inv.Procs, NSOfPID: inv.NSOfPID, ShimArgs: inv.ShimArgs,
		BridgeInode: inv.BridgeInode, PodCIDR: podCIDR, BridgeName: spec.BridgeName, TargetIPs: spec.TargetIPs,
	}
	var source string
	switch {
	case len(spec.Pods) > 0:
		source = ownByAPI(&f, spec.Pods, procRootOf(spec.ProcRoot))
		if listCRI != nil {
			source += "; " + crossCheckCRI(ctx, &f, inv, spec, listCRI)
		}
	case listCRI != nil:
		source = ownByCRI(ctx, &f, inv, spec, listCRI)
	default:
		source = "no API pods in the request and no CRI client in this probe"
	}
	progress(source)

	found := analyze(f)
	res := &v1alpha1.NSScanResult{
		NamespaceCount: len(inv.Namespaces),
		Duplicates:     found.Duplicates,
		Leaked:         found.Leaked,
		OrphanShims:    found.OrphanShims,
		SandboxesKnown: f.SandboxesKnown,
		SandboxSource:  source,
		Errors:         inv.Errors,
	}
	if !spec.OmitNamespaces {
		res.Namespaces = inv.Namespaces
	}
	return res, nil
}

func procRootOf(p string) string {
	if p == "" {
		return "/proc"
	}
	return p
}

// ownByAPI decides ownership from the API server's pods and the cgroups of
// the namespaces' processes and of the shims' children.
func ownByAPI(f *facts, pods []v1alpha1.NodePod, procRoot string) string {
	f.ByAPI, f.SandboxesKnown = true, true
	f.LivePodUIDs = map[string]bool{}
	for _, p := range pods {
		if uid, err := cri.NormalizePodUID(p.UID); err == nil {
			f.LivePodUIDs[uid] = true
		}
	}
	uidOfNS, uidOfPID := readPodUIDs(procRoot, f.Namespaces, f.Procs, f.ShimArgs)
	f.PodUIDOfPID = uidOfPID
	normalized := make([]v1alpha1.NodePod, len(pods))
	for i, p := range pods {
		normalized[i] = p
		if uid, err := cri.NormalizePodUID(p.UID); err == nil {
			normalized[i].UID = uid
		}
	}
	f.Unjudged = ownByPods(f.Namespaces, normalized, uidOfNS)
	owned := 0
	for _, ns := range f.Namespaces {
		if ns.Sandbox != nil {
			owned++
		}
	}
	return fmt.Sprintf("api: %d pods on the node, %d namespaces owned (by cgroup pod UID, else pod IP)", len(pods), owned)
}

// ownByCRI asks the runtime for every pod sandbox. Failing that, the scan
// still reports duplicates but cannot say which namespaces are leaked.
func ownByCRI(ctx context.Context, f *facts, inv *Inventory, spec *v1alpha1.NSScanSpec, list SandboxLister) string {
	ctx, cancel := context.WithTimeout(ctx, criTimeout)
	defer cancel()
	sandboxes, source, err := list(ctx, spec.ProcRoot, spec.HostRoot, spec.CRISocket)
	if err != nil {
		return err.Error()
	}
	ownSandboxes(inv, sandboxes, spec.HostRoot, spec.ProcRoot)
	f.SandboxIDs = map[string]bool{}
	for _, sb := range sandboxes {
		f.SandboxIDs[sb.ID] = true
	}
	f.SandboxesKnown = true
	return source
}

// crossCheckCRI completes the API's ownership with the runtime's sandboxes
// when the runtime answers: a namespace no API pod was tied to (no cgroup
// names the pod, no address matches) but whose ready sandbox belongs to a pod
// the API lists is that pod's; a namespace tied to the same pod gets the
// sandbox's ID, path and PID. The API stays the judge of which pods live, so
// a ready sandbox of a pod the API no longer lists changes nothing; it and
// any disagreement are counted in the source line. Unreachable, it says why.
func crossCheckCRI(ctx context.Context, f *facts, inv *Inventory, spec *v1alpha1.NSScanSpec, list SandboxLister) string {
	ctx, cancel := context.WithTimeout(ctx, criTimeout)
	defer cancel()
	sandboxes, source, err := list(ctx, spec.ProcRoot, spec.HostRoot, spec.CRISocket)
	if err != nil {
		return "cri not used: " + err.Error()
	}
	var completed, enriched, disagree, unlisted int
	for i, sb := range sandboxOfNamespace(inv, sandboxes, spec.HostRoot, spec.ProcRoot) {
		ns := &f.Namespaces[i]
		uid, _ := cri.NormalizePodUID(sb.UID)
		switch {
		case !sb.Ready():
		case ns.Sandbox == nil && f.LivePodUIDs[uid] && !f.Unjudged[ns.Inode]:
			ref := sandboxRef(sb)
			ns.Sandbox = &ref
			completed++
		case ns.Sandbox != nil && ns.Sandbox.UID == uid:
			ns.Sandbox.ID, ns.Sandbox.State, ns.Sandbox.NetNSPath, ns.Sandbox.PID = sb.ID, sb.State, sb.NetNSPath, sb.PID
			enriched++
		case ns.Sandbox != nil:
			disagree++
		}
	}
	for _, sb := range sandboxes {
		if uid, _ := cri.NormalizePodUID(sb.UID); sb.Ready() && !f.LivePodUIDs[uid] {
			unlisted++
		}
	}
	return fmt.Sprintf("%s; cross-check: %d namespaces confirmed by cri, %d owned through cri only, %d where api and cri disagree, %d ready sandboxes of pods the api does not list",
		source, enriched, completed, disagree, unlisted)
}
