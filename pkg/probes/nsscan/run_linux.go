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

func run(ctx context.Context, spec *v1alpha1.NSScanSpec, progress probes.Progress) (*v1alpha1.NSScanResult, error) {
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

	sandboxes, source, known := loadSandboxes(ctx, spec)
	progress(source)
	if known {
		ownSandboxes(inv, sandboxes, spec.HostRoot, spec.ProcRoot)
	}
	ids := map[string]bool{}
	for _, sb := range sandboxes {
		ids[sb.ID] = true
	}
	found := analyze(facts{
		Namespaces: inv.Namespaces, Procs: inv.Procs, NSOfPID: inv.NSOfPID, ShimArgs: inv.ShimArgs,
		BridgeInode: inv.BridgeInode, SandboxIDs: ids, SandboxesKnown: known,
		PodCIDR: podCIDR, BridgeName: spec.BridgeName, TargetIPs: spec.TargetIPs,
	})
	res := &v1alpha1.NSScanResult{
		NamespaceCount: len(inv.Namespaces),
		Duplicates:     found.Duplicates,
		Leaked:         found.Leaked,
		OrphanShims:    found.OrphanShims,
		SandboxesKnown: known,
		SandboxSource:  source,
		Errors:         inv.Errors,
	}
	if !spec.OmitNamespaces {
		res.Namespaces = inv.Namespaces
	}
	return res, nil
}

// loadSandboxes asks the runtime for every pod sandbox. Failing that, the scan
// still reports duplicates but cannot say which namespaces are leaked.
func loadSandboxes(ctx context.Context, spec *v1alpha1.NSScanSpec) ([]cri.Sandbox, string, bool) {
	ctx, cancel := context.WithTimeout(ctx, criTimeout)
	defer cancel()
	c, err := cri.DialDefault(ctx, spec.HostRoot, spec.CRISocket)
	if err != nil {
		return nil, "no container runtime: " + err.Error(), false
	}
	defer c.Close()
	sbs, err := c.Sandboxes(ctx)
	if err != nil {
		return nil, fmt.Sprintf("cri %s: %v", c.Endpoint(), err), false
	}
	return sbs, fmt.Sprintf("cri %s (%s): %d sandboxes", c.Endpoint(), c.Runtime(), len(sbs)), true
}
