package v1alpha1

// NodeFacts is what the API server says about one node of the run (the source
// pod's node, each node hosting a target, a node/NAME target). Diagnosis holds
// the node's own state (nodeinfo) against it: a VXLAN neighbour or FDB entry
// for a peer must match what the peer's flannel published, and a node's VXLAN
// device must encapsulate from the address its peers send to.
//
// The plugin fills one entry per node it resolved; fields it cannot read stay
// empty and the rules that need them stay silent.
type NodeFacts struct {
	Name string `json:"name"`
	// InternalIP is the node's InternalIP address (status.addresses).
	InternalIP string `json:"internalIP,omitempty"`
	// PodCIDR is spec.podCIDR, e.g. "10.244.1.0/24". flannel's VTEP address for
	// the node is this network's first address ("10.244.1.0").
	PodCIDR string `json:"podCIDR,omitempty"`
	// Flannel is set when the node carries flannel's annotations.
	Flannel *FlannelFacts `json:"flannel,omitempty"`
	// View says whether the node view watched this node from a node pod; nil
	// when the run had no node view.
	View *NodeViewState `json:"view,omitempty"`
}

// Node view states (NodeViewState.Status).
const (
	// NodeWatched: the node pod ran; the node's evidence is in the results.
	NodeWatched = "watched"
	// NodeUnwatched: the node pod did not start, so the node's own state and
	// its half of every trace are missing; Reason says why.
	NodeUnwatched = "unavailable"
)

// Why a node pod did not start (NodeViewState.Cause), so the diagnosis can
// give the fix that cause needs.
const (
	// CauseImage: the probe image is not on the node and cannot be pulled there.
	CauseImage = "image"
	// CauseNodeNotReady: the node is NotReady and its kubelet never ran the pod.
	CauseNodeNotReady = "node-not-ready"
	// CausePodSecurity: Pod Security admission rejected the node pod.
	CausePodSecurity = "pod-security"
	// CauseOther: the API server or the kubelet refused it, or it timed out.
	CauseOther = "other"
)

// NodeViewState is how the node view went on one node. When some node pods
// start and others do not, the run goes on with the nodes that have one; the
// others say here why they could not be watched.
type NodeViewState struct {
	// Status is NodeWatched or NodeUnwatched.
	Status string `json:"status"`
	// Reason is why the node pod did not start, worded with its fix (the
	// plugin's translation of the start error).
	Reason string `json:"reason,omitempty"`
	// Cause classifies Reason: CauseImage, CauseNodeNotReady, CausePodSecurity or CauseOther.
	Cause string `json:"cause,omitempty"`
	// Image is the probe image the node pod asked for.
	Image string `json:"image,omitempty"`
	// Pod is the node pod that did not start, as namespace/name (deleted since).
	Pod string `json:"pod,omitempty"`
}

// FlannelFacts are the node's flannel.alpha.coreos.com/* annotations.
type FlannelFacts struct {
	// BackendType is flannel.alpha.coreos.com/backend-type, e.g. "vxlan".
	BackendType string `json:"backendType,omitempty"`
	// VNI and VtepMAC come from flannel.alpha.coreos.com/backend-data
	// ({"VNI":1,"VtepMAC":"8a:a8:f3:f7:83:e8"}): the MAC of the node's
	// flannel.1, which peers must hold in their neighbour and FDB entries.
	VNI     int    `json:"vni,omitempty"`
	VtepMAC string `json:"vtepMAC,omitempty"`
	// PublicIP is flannel.alpha.coreos.com/public-ip: the underlay address
	// peers send this node's VXLAN packets to (their FDB destination) and the
	// address its own flannel.1 must encapsulate from. It may differ from
	// InternalIP when flannel runs with --iface or --public-ip.
	PublicIP string `json:"publicIP,omitempty"`
}
