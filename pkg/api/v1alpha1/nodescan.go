package v1alpha1

// CheckNSScan names the node-wide network namespace scan (pkg/probes/nsscan):
// the seeds' `lsns -t net | xargs nsenter ip addr`, plus the analysis that finds
// an IP held twice, leaked pod namespaces and orphaned runtime shims. It runs
// from a node pod (hostPID, hostNetwork, privileged).
const CheckNSScan = "nsscan"

// NSScanSpec asks for a scan of every network namespace on the node.
type NSScanSpec struct {
	// TargetIPs are addresses whose holders must be reported even when only one
	// namespace holds them (e.g. the pod IP behind a flaky Service endpoint).
	TargetIPs []string `json:"targetIPs,omitempty"`
	// PodCIDR is the pod network, e.g. "10.244.0.0/16": a namespace holding an
	// address in it that belongs to no live pod sandbox is leaked. "" turns that
	// criterion off.
	PodCIDR string `json:"podCIDR,omitempty"`
	// BridgeName is the node bridge pods attach to, e.g. "cni0": a namespace with
	// a veth whose peer is a port of it and that belongs to no live sandbox is
	// leaked. "" turns that criterion off.
	BridgeName string `json:"bridgeName,omitempty"`
	// BridgeNetNS is the path of the namespace that holds BridgeName; "" means the
	// probe's own namespace (the node's, with hostNetwork).
	BridgeNetNS string `json:"bridgeNetNS,omitempty"`
	// HostRoot is where the node's filesystem is visible to the probe, e.g.
	// "/proc/1/root" in a hostPID pod; bind-mount directories, sandbox netns paths
	// and default CRI sockets are looked up under it. "" means "/".
	HostRoot string `json:"hostRoot,omitempty"`
	// ProcRoot is the node's procfs; "" means /proc (right with hostPID).
	ProcRoot string `json:"procRoot,omitempty"`
	// NetNSDirs replace the default bind-mount directories (/run/netns,
	// /var/run/netns, /var/run/docker/netns). nsfs mounts elsewhere are still
	// found through the node's mountinfo.
	NetNSDirs []string `json:"netnsDirs,omitempty"`
	// Pods are the live pods scheduled on the node, from the API server. When
	// set, they decide ownership: a namespace belongs to the pod whose UID its
	// processes' cgroups name (kubepods…pod<uid>), or whose IP it holds; the
	// runtime's sandboxes (CRI, when it answers) complete and cross-check that.
	// Without them the CRI's sandboxes alone decide.
	Pods []NodePod `json:"pods,omitempty"`
	// CRISocket is the container runtime socket ("/run/containerd/containerd.sock"
	// or "unix:///..."), used as given, not under HostRoot. "" asks the socket
	// this node's kubelet uses (its --container-runtime-endpoint or config
	// file, through its own root), else tries containerd, CRI-O and k3s at
	// their default paths under HostRoot.
	CRISocket string `json:"criSocket,omitempty"`
	// Parallelism bounds how many namespaces are read at once; 0 means 4.
	Parallelism int `json:"parallelism,omitempty"`
	// OmitNamespaces leaves the per-namespace inventory out of the result, keeping
	// only the findings; useful on nodes with thousands of pods.
	OmitNamespaces bool `json:"omitNamespaces,omitempty"`
}

// NSScanResult is the evidence of a scan.
type NSScanResult struct {
	// NamespaceCount is how many network namespaces were found (also when
	// Namespaces is omitted).
	NamespaceCount int `json:"namespaceCount"`
	// Namespaces is the inventory: each namespace, its interfaces, processes and
	// owning pod sandbox.
	Namespaces []NetNamespace `json:"namespaces,omitempty"`
	// Duplicates are IPs held by more than one namespace, and every TargetIP with
	// its holders (even a single one).
	Duplicates []DuplicateIP `json:"duplicates,omitempty"`
	// Leaked are namespaces on the pod network that belong to no live sandbox.
	Leaked []LeakedNetNS `json:"leaked,omitempty"`
	// OrphanShims are runtime shims re-parented to PID 1 whose sandbox is gone.
	OrphanShims []OrphanShim `json:"orphanShims,omitempty"`
	// SandboxesKnown is true when ownership was known, from the API's pods
	// (NSScanSpec.Pods) or the runtime's sandbox list; when false, leaked
	// namespaces and orphan shims could not be judged.
	SandboxesKnown bool `json:"sandboxesKnown"`
	// SandboxSource says where ownership came from ("api: 14 pods on the node",
	// "cri unix:///run/containerd/containerd.sock: 14 sandboxes") or why it is
	// unknown.
	SandboxSource string `json:"sandboxSource"`
	// Errors are namespaces or sources that could not be read (vanished while
	// scanning, permission denied); the rest of the scan is still valid.
	Errors []string `json:"errors,omitempty"`
}

// NodePod is one pod the API server places on the node.
type NodePod struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	UID       string   `json:"uid"`
	IPs       []string `json:"ips,omitempty"`
	// HostNetwork pods share the node's namespace and own none.
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// NetNamespace is one network namespace on the node.
type NetNamespace struct {
	// Inode is the namespace's nsfs inode, the number lsns prints ("net:[Inode]").
	Inode uint64 `json:"inode"`
	// Paths are the bind mounts naming it (e.g. /run/netns/cni-...).
	Paths []string `json:"paths,omitempty"`
	// Host is true for the namespace the probe runs in (the node's with hostNetwork).
	Host bool `json:"host,omitempty"`
	// ProcessCount is how many processes live in it; Processes lists them except
	// for the host namespace, where only the count is kept.
	ProcessCount int         `json:"processCount"`
	Processes    []NSProcess `json:"processes,omitempty"`
	Interfaces   []Interface `json:"interfaces,omitempty"`
	// BridgePorts are the host-side veths on BridgeName that lead into this namespace.
	BridgePorts []string `json:"bridgePorts,omitempty"`
	// Sandbox is the live pod sandbox that owns the namespace; nil when none does.
	Sandbox *SandboxRef `json:"sandbox,omitempty"`
	// Error says why the namespace's interfaces could not be read.
	Error string `json:"error,omitempty"`
}

// NSProcess is one process and its parent.
type NSProcess struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
	PPID int    `json:"ppid"`
	// ParentComm is the parent's command name, e.g. "containerd-shim".
	ParentComm string `json:"parentComm,omitempty"`
	// ParentPPID is the parent's own parent: 1 for a shim re-parented to init.
	ParentPPID int `json:"parentPPID,omitempty"`
}

// SandboxRef names the pod that owns a namespace: a sandbox as the container
// runtime reports it (Via "cri"), or a live API pod (NSScanSpec.Pods) matched
// by the namespace's processes' cgroups (Via "cgroup") or by the pod IP the
// namespace holds (Via "ip"); API pods carry no sandbox ID or CRI state.
type SandboxRef struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	UID       string `json:"uid,omitempty"`
	// State is the CRI state, "SANDBOX_READY" or "SANDBOX_NOTREADY" ("" for API pods).
	State string `json:"state,omitempty"`
	// Via says how the owner was found: OwnerViaCRI, OwnerViaCgroup or OwnerViaIP.
	Via string `json:"via,omitempty"`
	// NetNSPath is the namespace path the runtime recorded for the sandbox.
	NetNSPath string `json:"netnsPath,omitempty"`
	// PID is the sandbox (pause) process, 0 when unknown.
	PID int `json:"pid,omitempty"`
}

// How a namespace's owner was found (SandboxRef.Via).
const (
	OwnerViaCRI    = "cri"
	OwnerViaCgroup = "cgroup"
	OwnerViaIP     = "ip"
)

// NSHolder is one namespace holding an address.
type NSHolder struct {
	Inode     uint64   `json:"inode"`
	Paths     []string `json:"paths,omitempty"`
	Host      bool     `json:"host,omitempty"`
	Interface string   `json:"interface"`
	MAC       string   `json:"mac,omitempty"`
	// Addr is the address with its prefix as configured, e.g. "10.244.1.5/24".
	Addr        string      `json:"addr"`
	BridgePorts []string    `json:"bridgePorts,omitempty"`
	Sandbox     *SandboxRef `json:"sandbox,omitempty"`
	// Leaked is true when the holder is one of NSScanResult.Leaked.
	Leaked    bool        `json:"leaked,omitempty"`
	Processes []NSProcess `json:"processes,omitempty"`
}

// DuplicateIP is one address and every namespace holding it.
type DuplicateIP struct {
	IP string `json:"ip"`
	// Target is true when IP is one of the spec's TargetIPs.
	Target bool `json:"target,omitempty"`
	// SameMAC is true when every holder answers with the same MAC, so duplicate
	// address detection (arping -D) and ARP tables cannot tell them apart.
	SameMAC bool       `json:"sameMAC,omitempty"`
	Holders []NSHolder `json:"holders"`
	// Summary names the holders in one line, for findings and humans.
	Summary string `json:"summary"`
}

// LeakedNetNS is a namespace on the pod network that no live sandbox owns.
type LeakedNetNS struct {
	Inode uint64   `json:"inode"`
	Paths []string `json:"paths,omitempty"`
	// Addrs are its global addresses ("10.244.1.5/24 on eth0").
	Addrs       []string    `json:"addrs,omitempty"`
	BridgePorts []string    `json:"bridgePorts,omitempty"`
	Processes   []NSProcess `json:"processes,omitempty"`
	// Reason says which criterion matched: "address in pod CIDR 10.244.0.0/16",
	// "attached to bridge cni0".
	Reason string `json:"reason"`
}

// OrphanShim is a container runtime shim re-parented to PID 1 whose pod is
// gone: its sandbox ID is unknown to the runtime (CRI ownership), or its
// children's cgroups name only pods the API server no longer has (API
// ownership). It is what a crashed or force-removed pod leaves behind.
type OrphanShim struct {
	PID  int    `json:"pid"`
	PPID int    `json:"ppid"`
	Comm string `json:"comm"`
	// SandboxID is the -id from the shim's command line.
	SandboxID string `json:"sandboxID,omitempty"`
	// RuntimeNamespace is the containerd namespace (-namespace), "k8s.io" for CRI.
	RuntimeNamespace string `json:"runtimeNamespace,omitempty"`
	// Children are the shim's child processes (the containers it still runs).
	Children []NSProcess `json:"children,omitempty"`
	// NetNSInodes are the namespaces the children live in.
	NetNSInodes []uint64 `json:"netnsInodes,omitempty"`
}
