package v1alpha1

import "time"

// CheckTrace names the trace check (pkg/probes/trace): tagged probes sent from one
// network namespace while every hop of the path is captured, so the result says
// where the packet died and what answered.
const CheckTrace = "trace"

// Trace protocols.
const (
	TraceTCP  = "tcp"
	TraceICMP = "icmp"
)

// TraceSpec: send Count tagged probes (TCP SYNs from known source ports, or ICMP
// echoes with a known id and sequence) from Source to Destination while capturing
// on every hop, then report per probe where it was seen.
type TraceSpec struct {
	// Source is the network namespace the probes leave from, as a path
	// (/proc/PID/ns/net, /run/netns/NAME); "" is the probe's own namespace.
	Source string `json:"source,omitempty"`
	// Destination is the IPv4 address probed (a ClusterIP is fine: DNAT is followed).
	Destination string `json:"destination"`
	// Port is the TCP destination port; unused for ICMP.
	Port int `json:"port,omitempty"`
	// Proto is TraceTCP (default) or TraceICMP.
	Proto string `json:"proto,omitempty"`
	// Hops are the interfaces captured, in the order the request crosses them
	// (source pod first). Empty means: discover the local node's path from Source
	// to Destination and capture on it.
	Hops []TraceHop `json:"hops,omitempty"`
	// Count is how many probes are sent; 0 means 3.
	Count int `json:"count,omitempty"`
	// SourcePort is the first TCP source port of the tag range (Count consecutive
	// ports); 0 picks one above the usual ephemeral range.
	SourcePort int `json:"sourcePort,omitempty"`
	// ICMPID is the identifier of the ICMP echoes (1-65535); 0 picks one at
	// random. The plugin gives each trace of a run its own, so concurrent
	// traces to one address keep apart; a capture-only ICMP half needs the
	// sender's.
	ICMPID int `json:"icmpID,omitempty"`
	// VXLANPort is the UDP port VXLAN traffic is decapsulated from; 0 means 8472
	// (flannel, the Linux default). Use 4789 for the IANA port.
	VXLANPort int `json:"vxlanPort,omitempty"`
	// ProbeTimeoutMillis bounds each probe (TCP connect, wait for an echo reply);
	// 0 means 1500.
	ProbeTimeoutMillis int `json:"probeTimeoutMillis,omitempty"`
	// PcapOut asks for the capture as a pcapng file in TraceResult.PcapNG.
	PcapOut bool `json:"pcapOut,omitempty"`
	// CaptureOnlyMillis, when > 0, sends nothing: the probe captures on Hops for
	// this long and returns the pcapng. It is the far node's half of a trace that
	// crosses nodes: start it first, then the sender's trace (with PcapOut), and
	// merge the two results (trace.Merge) to correlate over every hop.
	CaptureOnlyMillis int `json:"captureOnlyMillis,omitempty"`
}

// TraceHop is one interface to capture on.
type TraceHop struct {
	// Node names the machine (or namespace) the hop belongs to, e.g. "k8slab-node2".
	Node string `json:"node,omitempty"`
	// Name labels the hop within its node, e.g. "pod eth0", "cni0", "flannel.1".
	// The pcapng interface is named "Node/Name".
	Name string `json:"name"`
	// Netns is the hop's network namespace as a path; "" is the probe's own.
	Netns string `json:"netns,omitempty"`
	// Ifname is the interface name inside Netns.
	Ifname string `json:"ifname"`
}

// TraceResult is the evidence of a trace check.
type TraceResult struct {
	// Source is the address the probes were sent from ("" for a capture-only half).
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	Port        int    `json:"port,omitempty"`
	Proto       string `json:"proto"`
	// VXLANPort is the UDP port VXLAN was decapsulated from.
	VXLANPort int `json:"vxlanPort,omitempty"`
	// Hops are the captured interfaces in request order, with what netlink and the
	// capture saw of each.
	Hops   []TraceHopInfo `json:"hops"`
	Probes []TraceProbe   `json:"probes"`
	// PcapNG is the capture (one interface block per hop), when TraceSpec.PcapOut
	// asked for it; base64 in JSON.
	PcapNG []byte `json:"pcapng,omitempty"`
	// StoppedOnRequest says a capture-only half ended because the plugin said
	// the sender was done (ProbeRequest.StopOnStdin), not at its window's end.
	StoppedOnRequest bool `json:"stoppedOnRequest,omitempty"`
}

// TraceHopInfo describes one captured hop.
type TraceHopInfo struct {
	TraceHop `json:",inline"`
	// Label is "Node/Name", the name sightings and the pcapng file use.
	Label string `json:"label"`
	// Role is what the hop is on the path: "pod", "host-veth", "bridge", "overlay",
	// "underlay", or "" when the hop was given rather than discovered.
	Role    string   `json:"role,omitempty"`
	Ifindex int      `json:"ifindex,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	MTU     int      `json:"mtu,omitempty"`
	MAC     string   `json:"mac,omitempty"`
	Addrs   []string `json:"addrs,omitempty"`
	// VXLAN is set when the hop is a VXLAN device.
	VXLAN *TraceVXLAN `json:"vxlan,omitempty"`
	// LinkType is how the hop was captured: "ethernet" or "ip" (no link header).
	LinkType string `json:"linkType,omitempty"`
	// Packets is how many packets the filter kept; Drops how many the kernel
	// dropped for want of ring space (evidence is incomplete when non-zero).
	Packets int `json:"packets"`
	Drops   int `json:"drops,omitempty"`
	// Error says why the hop could not be captured (LinkType is then empty) or
	// described.
	Error string `json:"error,omitempty"`
}

// TraceVXLAN is a VXLAN device's configuration. A Local that differs from the
// node's underlay address is the "wrong VXLAN source IP" fault.
type TraceVXLAN struct {
	VNI     int    `json:"vni"`
	Local   string `json:"local,omitempty"`
	DstPort int    `json:"dstPort"`
	// Underlay is the device the encapsulated packets leave by.
	Underlay string `json:"underlay,omitempty"`
	// RemoteVTEP and RemoteMAC are the peer VTEP the route to the destination uses
	// (neighbour entry for the gateway, then FDB entry for its MAC).
	RemoteVTEP string `json:"remoteVTEP,omitempty"`
	RemoteMAC  string `json:"remoteMAC,omitempty"`
}

// Trace directions.
const (
	TraceDirRequest = "request"
	TraceDirReply   = "reply"
)

// TraceProbe is one tagged probe and everywhere it (and its answer) was seen.
type TraceProbe struct {
	// Tag identifies the probe on the wire, e.g. "tcp sport 61000 isn 0x1a2b3c4d"
	// or "icmp id 0x4e21 seq 1".
	Tag     string `json:"tag"`
	SrcPort int    `json:"srcPort,omitempty"`
	ISN     uint32 `json:"isn,omitempty"`
	ICMPID  int    `json:"icmpID,omitempty"`
	ICMPSeq int    `json:"icmpSeq,omitempty"`
	// Outcome is what the sender saw: for TCP the connect outcome (TCPOutcome
	// values), for ICMP "reply", "timeout" or "error".
	Outcome string `json:"outcome"`
	// Seen lists the sightings in hop order, requests first, then replies.
	Seen []TraceSighting `json:"seen,omitempty"`
	// LastHop is the label of the furthest hop (in request order) where the request
	// was seen: where it died when no reply came back.
	LastHop string `json:"lastHop,omitempty"`
	// Reply is the answer, when one was captured.
	Reply *TraceReply `json:"reply,omitempty"`
	// NAT notes address rewrites between hops, e.g. "DNAT 10.96.0.10:80 -> 10.244.1.5:8080 at node2/cni0".
	NAT []string `json:"nat,omitempty"`
}

// TraceSighting is one hop where a probe (or its reply) was captured.
type TraceSighting struct {
	Hop      string    `json:"hop"`
	HopIndex int       `json:"hopIndex"`
	Dir      string    `json:"dir"`
	Time     time.Time `json:"time"`
	// Src and Dst are the (inner) addresses, "ip:port" for TCP.
	Src string `json:"src"`
	Dst string `json:"dst"`
	TTL int    `json:"ttl"`
	// What is the packet: "SYN", "SYN-ACK", "RST-ACK", "echo-request",
	// "echo-reply", "icmp dest-unreachable/port", ...
	What string `json:"what"`
	// SrcMAC and DstMAC are the (inner) Ethernet addresses on Ethernet hops.
	SrcMAC string `json:"srcMAC,omitempty"`
	DstMAC string `json:"dstMAC,omitempty"`
	// OuterSrc and OuterDst are the VXLAN outer IPs when the packet was seen
	// encapsulated; VNI is its VXLAN network identifier.
	OuterSrc string `json:"outerSrc,omitempty"`
	OuterDst string `json:"outerDst,omitempty"`
	VNI      int    `json:"vni,omitempty"`
	// Count is how many copies were seen on this hop (retransmissions included).
	Count int `json:"count"`
}

// TraceReply is what came back for a probe.
type TraceReply struct {
	// Kind is "syn-ack", "rst", "echo-reply" or "icmp-error".
	Kind string `json:"kind"`
	// What is the packet as in TraceSighting.What, e.g. "icmp dest-unreachable/host".
	What string `json:"what"`
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	// FirstHop is the hop nearest its origin where the reply was seen (the
	// furthest along the request path) and TTL its TTL there.
	FirstHop string `json:"firstHop"`
	TTL      int    `json:"ttl"`
	// RoutedBefore is how many routers decremented the TTL before FirstHop,
	// counted from the nearest usual initial TTL (64, 128, 255).
	RoutedBefore int `json:"routedBefore"`
	// LastHop is the hop nearest the sender where the reply was seen.
	LastHop string `json:"lastHop,omitempty"`
	// Origin says who generated the reply and why we think so.
	Origin string `json:"origin"`
}
