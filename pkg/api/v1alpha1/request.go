package v1alpha1

// ProbeRequest is what the plugin sends the probe (as JSON on the probe's stdin):
// a batch of checks to run from the probe's vantage point.
type ProbeRequest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Parallelism bounds how many checks run at once; 0 means the probe's default.
	Parallelism int `json:"parallelism,omitempty"`
	// Netns, when set, runs the pod-view checks (tcp, icmp, dns, netinfo) inside
	// that network namespace instead of the probe's own: node mode checks "from
	// the pod" this way. Node checks (nodeinfo, nsscan, trace) ignore it.
	Netns *NetnsRef `json:"netns,omitempty"`
	// StopOnStdin asks the probe to end every capture-only trace early (after
	// a short linger) once the line StopLine arrives on stdin or stdin ends.
	// The plugin sends the line when the sender's probes are done, which no
	// far half can tell by itself; only the line sets
	// TraceResult.StoppedOnRequest. A capture's own window stays its upper
	// bound. A probe that predates the field ignores it and captures its
	// whole window.
	StopOnStdin bool        `json:"stopOnStdin,omitempty"`
	Checks      []CheckSpec `json:"checks"`
}

// StopLine is the stdin line that tells a StopOnStdin run the sender is done.
const StopLine = "stop"

// Check names. Each names one package under pkg/probes.
const (
	CheckTCP     = "tcp"
	CheckICMP    = "icmp"
	CheckDNS     = "dns"
	CheckNetInfo = "netinfo"
)

// CheckSpec asks for one check against one target. Exactly one of the
// per-check fields is set, matching Check.
type CheckSpec struct {
	// ID is unique within a request and ties progress and results back to the spec.
	ID string `json:"id"`
	// Check is the check name (CheckTCP, ...).
	Check string `json:"check"`
	// Target is the human label of what is checked, e.g. "svc/web via 10.244.1.5:8080".
	Target string `json:"target,omitempty"`
	// TimeoutMillis bounds the whole check; 0 means the check's default.
	TimeoutMillis int `json:"timeoutMillis,omitempty"`

	TCP     *TCPSpec     `json:"tcp,omitempty"`
	ICMP    *ICMPSpec    `json:"icmp,omitempty"`
	DNS     *DNSSpec     `json:"dns,omitempty"`
	NetInfo *NetInfoSpec `json:"netinfo,omitempty"`
	// Trace is set for CheckTrace (see trace.go).
	Trace *TraceSpec `json:"trace,omitempty"`
	// NSScan is set for CheckNSScan (see nodescan.go).
	NSScan *NSScanSpec `json:"nsscan,omitempty"`
	// NodeInfo is set for CheckNodeInfo (see nodeinfo.go).
	NodeInfo *NodeInfoSpec `json:"nodeinfo,omitempty"`
}

// TCPSpec: connect to Address Count times, at most Concurrency at once.
type TCPSpec struct {
	// Address is "ip:port" (IPv6 in brackets).
	Address     string `json:"address"`
	Count       int    `json:"count"`
	Concurrency int    `json:"concurrency,omitempty"`
	// ConnectTimeoutMillis bounds each attempt; an attempt that runs out is a timeout.
	ConnectTimeoutMillis int `json:"connectTimeoutMillis,omitempty"`
}

// ICMPSpec: echo reachability to Address, then (if DiscoverMTU) the path MTU by
// a binary search over payload sizes with DF set.
type ICMPSpec struct {
	Address string `json:"address"`
	// Count is how many plain echoes measure reachability and RTT.
	Count       int  `json:"count"`
	DiscoverMTU bool `json:"discoverMTU,omitempty"`
	// MaxPacket caps the largest IP packet tried; 0 means the egress interface MTU.
	MaxPacket int `json:"maxPacket,omitempty"`
	// ReplyTimeoutMillis is how long one echo may take before it counts as lost.
	ReplyTimeoutMillis int `json:"replyTimeoutMillis,omitempty"`
}

// DNSSpec: resolve Name the way the application would and against each server directly.
type DNSSpec struct {
	Name string `json:"name"`
	// ResolvConf is the path of the resolver config to read; "" means /etc/resolv.conf.
	ResolvConf string `json:"resolvConf,omitempty"`
	// Servers are queried directly in addition to the resolv.conf nameservers,
	// e.g. each CoreDNS endpoint, so a broken replica behind the ClusterIP is seen.
	Servers []DNSServer `json:"servers,omitempty"`
	// Types are the query types; default A and AAAA.
	Types []string `json:"types,omitempty"`
	// Transports are "udp" and/or "tcp"; default both.
	Transports []string `json:"transports,omitempty"`
	// Attempts per query (server × type × transport); default 1.
	Attempts           int `json:"attempts,omitempty"`
	QueryTimeoutMillis int `json:"queryTimeoutMillis,omitempty"`
}

// DNSServer is one server to query directly.
type DNSServer struct {
	// Address is "ip" or "ip:port".
	Address string `json:"address"`
	// Name says what the server is, e.g. "kube-system/coredns-abc12 (node k8slab-node2)".
	Name string `json:"name,omitempty"`
	// Role is "resolv.conf" for the pod's configured nameservers or "endpoint" for a
	// DNS backend queried directly.
	Role string `json:"role,omitempty"`
}

// NetInfoSpec: the probe's own view of its network namespace.
type NetInfoSpec struct {
	// Listeners includes listening sockets (TCP, UDP) from /proc/net.
	Listeners bool `json:"listeners,omitempty"`
}
