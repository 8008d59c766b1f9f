package nsscan

import (
	"net/netip"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// facts is everything the analysis needs; it does no I/O, so it is
// table-tested without namespaces.
type facts struct {
	Namespaces []v1alpha1.NetNamespace
	Procs      map[int]netns.Process
	NSOfPID    map[int]uint64
	ShimArgs   map[int][]string
	// BridgeInode is the namespace holding the bridge; like the host namespace it
	// holds pod-network addresses (the gateway) without being a pod.
	BridgeInode uint64
	// SandboxIDs are all sandboxes the runtime knows, ready or not.
	SandboxIDs     map[string]bool
	SandboxesKnown bool
	PodCIDR        netip.Prefix // zero: criterion off
	BridgeName     string
	TargetIPs      []string
}

type findings struct {
	Duplicates  []v1alpha1.DuplicateIP
	Leaked      []v1alpha1.LeakedNetNS
	OrphanShims []v1alpha1.OrphanShim
}

// sandboxReady is the CRI state of a running sandbox.
const sandboxReady = "SANDBOX_READY"

func analyze(f facts) findings {
	var out findings
	out.Leaked = leakedNamespaces(f)
	leaked := map[uint64]bool{}
	for _, l := range out.Leaked {
		leaked[l.Inode] = true
	}
	out.Duplicates = duplicateIPs(f, leaked)
	out.OrphanShims = orphanShims(f)
	return out
}
