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
	// SandboxIDs are all sandboxes the runtime knows, ready or not (CRI
	// ownership).
	SandboxIDs map[string]bool
	// ByAPI is ownership from the API server's pods instead of the CRI:
	// LivePodUIDs are every pod on the node (hostNetwork ones too: they have
	// shims), PodUIDOfPID the pod UID the cgroups of the processes read name.
	ByAPI       bool
	LivePodUIDs map[string]bool
	PodUIDOfPID map[int]string
	// Unjudged are namespaces whose owner could not be told apart (several
	// hold the same live pod's IP): they are neither owned nor leaked.
	Unjudged       map[uint64]bool
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

// liveOwner is true when the namespace's owner is running: a ready CRI
// sandbox, or a pod the API server lists.
func liveOwner(ref *v1alpha1.SandboxRef) bool {
	if ref == nil {
		return false
	}
	return ref.State == sandboxReady || ref.Via == v1alpha1.OwnerViaCgroup || ref.Via == v1alpha1.OwnerViaIP
}

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
