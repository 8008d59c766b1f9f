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
