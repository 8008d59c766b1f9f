package v1alpha1

import "time"

// Status is the outcome of one check.
type Status string

const (
	StatusPass Status = "pass"
	// StatusFail: the check ran and the network misbehaved.
	StatusFail Status = "fail"
	// StatusWarn: the check ran and saw something suspicious that did not break it.
	StatusWarn Status = "warn"
	// StatusError: the check could not run (bad spec, missing privilege, ...).
	StatusError Status = "error"
	StatusSkip  Status = "skip"
)

// CheckResult is the outcome and evidence of one CheckSpec. Exactly one evidence
// field matching Check is set when the check ran.
type CheckResult struct {
	ID     string `json:"id"`
	Check  string `json:"check"`
	Target string `json:"target,omitempty"`
	// Vantage is where the check ran, e.g. "pod default/client" or "node k8slab-node2".
	// The plugin fills it; the probe leaves it empty.
	Vantage string `json:"vantage,omitempty"`
	Status  Status `json:"status"`
	// Summary is one human line, e.g. "20/20 connected, p50 0.4ms".
	Summary string `json:"summary"`
	// Error explains StatusError.
	Error          string    `json:"error,omitempty"`
	Started        time.Time `json:"started"`
	DurationMillis float64   `json:"durationMillis"`

	TCP     *TCPResult  `json:"tcp,omitempty"`
	ICMP    *ICMPResult `json:"icmp,omitempty"`
	DNS     *DNSResult  `json:"dns,omitempty"`
	NetInfo *NetInfo    `json:"netinfo,omitempty"`
	// Trace is set for CheckTrace (see trace.go).
	Trace *TraceResult `json:"trace,omitempty"`
	// NSScan is set for CheckNSScan (see nodescan.go).
	NSScan *NSScanResult `json:"nsscan,omitempty"`
	// NodeInfo is set for CheckNodeInfo (see nodeinfo.go).
	NodeInfo *NodeInfoResult `json:"nodeinfo,omitempty"`
	// Netns says which namespace the check ran in when the request named one
	// (ProbeRequest.Netns), e.g. "pid 4242 net:[4026532301]", prefixed by the
	// NetnsRef's Label when it has one ("pod default/client: pid 4242
	// net:[4026532301]"); the probe fills it for the pod-view checks only.
	Netns string `json:"netns,omitempty"`
}

// TCPOutcome classifies one connect attempt.
type TCPOutcome string

const (
	TCPOK TCPOutcome = "ok"
	// TCPRefused: an RST answered the SYN (ECONNREFUSED), or an ICMP port-unreachable
	// (an iptables REJECT) did.
	TCPRefused TCPOutcome = "refused"
	// TCPTimeout: nothing came back before the connect timeout.
	TCPTimeout TCPOutcome = "timeout"
	// TCPReset: the connection was established and then reset (ECONNRESET).
	TCPReset TCPOutcome = "reset"
	// TCPUnreachable: ICMP host/net unreachable or no route (EHOSTUNREACH, ENETUNREACH).
	TCPUnreachable TCPOutcome = "unreachable"
	TCPError       TCPOutcome = "error"
)

// TCPResult is the evidence of a TCP check.
type TCPResult struct {
	Address  string             `json:"address"`
	Attempts []TCPAttempt       `json:"attempts"`
	Counts   map[TCPOutcome]int `json:"counts"`
	// Latency percentiles over successful attempts only.
	P50Millis float64 `json:"p50Millis"`
	P99Millis float64 `json:"p99Millis"`
}

// TCPAttempt is one connect.
type TCPAttempt struct {
	Seq     int        `json:"seq"`
	Outcome TCPOutcome `json:"outcome"`
	// Errno is the symbolic errno ("ECONNREFUSED") when the attempt failed.
	Errno         string  `json:"errno,omitempty"`
	LatencyMillis float64 `json:"latencyMillis"`
	LocalAddr     string  `json:"localAddr,omitempty"`
}

// MTUOutcome says how the largest DF probe fared.
type MTUOutcome string

const (
	// MTUFits: a packet of the egress interface MTU got through with DF set.
	MTUFits MTUOutcome = "fits"
	// MTUFragNeeded: a hop answered ICMP fragmentation-needed with its MTU.
	MTUFragNeeded MTUOutcome = "frag-needed"
	// MTUBlackHole: large DF packets vanished silently while small ones got through.
	MTUBlackHole MTUOutcome = "black-hole"
	// MTULocal: the local stack refused the size (EMSGSIZE) from a cached or local MTU.
	MTULocal MTUOutcome = "local-emsgsize"
	// MTUUnknown: the sweep could not decide (e.g. no echo got through at all).
	MTUUnknown MTUOutcome = "unknown"
)

// ICMPResult is the evidence of an ICMP echo and path-MTU check.
type ICMPResult struct {
	Address   string  `json:"address"`
	Sent      int     `json:"sent"`
	Received  int     `json:"received"`
	MinMillis float64 `json:"minMillis,omitempty"`
	AvgMillis float64 `json:"avgMillis,omitempty"`
	MaxMillis float64 `json:"maxMillis,omitempty"`
	// Errors lists ICMP errors seen instead of echo replies, e.g. "host unreachable from 10.244.0.1".
	Errors []string   `json:"errors,omitempty"`
	MTU    *MTUResult `json:"mtu,omitempty"`
}

// MTUResult is the outcome of the DF size sweep. Sizes are whole IP packet sizes
// (payload + 8 ICMP + 20 IPv4 header), the number comparable with interface MTUs.
type MTUResult struct {
	Outcome MTUOutcome `json:"outcome"`
	// Interface and InterfaceMTU are the egress interface the route uses and its MTU.
	Interface    string `json:"interface,omitempty"`
	InterfaceMTU int    `json:"interfaceMTU"`
	// LargestOK is the largest packet that got an echo reply with DF set.
	LargestOK int `json:"largestOK"`
	// SmallestLost is the smallest packet that did not (0 when all fit).
	SmallestLost int `json:"smallestLost,omitempty"`
	// PathMTU is the discovered path MTU: LargestOK, or ReportedMTU when a hop said so.
	PathMTU int `json:"pathMTU"`
	// ReportedMTU and ReportedBy come from an ICMP frag-needed (next-hop MTU, sender).
	ReportedMTU int         `json:"reportedMTU,omitempty"`
	ReportedBy  string      `json:"reportedBy,omitempty"`
	Probes      []SizeProbe `json:"probes"`
}

// SizeProbe is one DF echo of a given packet size.
type SizeProbe struct {
	Size int `json:"size"`
	// Outcome: "ok", "timeout", "frag-needed", "emsgsize", "error".
	Outcome      string  `json:"outcome"`
	RTTMillis    float64 `json:"rttMillis,omitempty"`
	ReportedMTU  int     `json:"reportedMTU,omitempty"`
	ReportedBy   string  `json:"reportedBy,omitempty"`
	ErrorMessage string  `json:"error,omitempty"`
}

// DNSResult is the evidence of a DNS check.
type DNSResult struct {
	Name       string      `json:"name"`
	ResolvConf *ResolvConf `json:"resolvConf,omitempty"`
	// Expansion is the exact list of names the application's resolver will try, in order.
	Expansion []string   `json:"expansion,omitempty"`
	Queries   []DNSQuery `json:"queries"`
	// Resolved is the first name of Expansion that resolved via the configured
	// nameservers and its addresses: what the application would get.
	Resolved  string   `json:"resolved,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
}

// ResolvConf is the parsed resolver configuration.
type ResolvConf struct {
	Nameservers []string `json:"nameservers"`
	Search      []string `json:"search,omitempty"`
	Ndots       int      `json:"ndots"`
	Options     []string `json:"options,omitempty"`
}

// DNSQuery is one query to one server.
type DNSQuery struct {
	Server     string `json:"server"`
	ServerName string `json:"serverName,omitempty"`
	Role       string `json:"role,omitempty"`
	Transport  string `json:"transport"`
	Type       string `json:"type"`
	QName      string `json:"qname"`
	// Rcode is "NOERROR", "NXDOMAIN", "SERVFAIL", ...; empty when no answer came back.
	Rcode     string   `json:"rcode,omitempty"`
	Answers   []string `json:"answers,omitempty"`
	Truncated bool     `json:"truncated,omitempty"`
	RTTMillis float64  `json:"rttMillis,omitempty"`
	Timeout   bool     `json:"timeout,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// NetInfo is a network namespace's own view: the seeds' ip addr/route/neigh and netstat -lnt.
type NetInfo struct {
	Interfaces []Interface `json:"interfaces"`
	Routes     []Route     `json:"routes,omitempty"`
	Neighbors  []Neighbor  `json:"neighbors,omitempty"`
	Listeners  []Listener  `json:"listeners,omitempty"`
}

// Interface is one link with its addresses.
type Interface struct {
	Name  string   `json:"name"`
	Index int      `json:"index"`
	Kind  string   `json:"kind,omitempty"`
	MTU   int      `json:"mtu"`
	MAC   string   `json:"mac,omitempty"`
	Up    bool     `json:"up"`
	Addrs []string `json:"addrs,omitempty"`
	// PeerIndex is the ifindex of a veth's peer in the other namespace, when known.
	PeerIndex int `json:"peerIndex,omitempty"`
	// Master is the bridge or bond this link is enslaved to.
	Master string `json:"master,omitempty"`
}

// Route is one routing table entry.
type Route struct {
	Dst     string `json:"dst"`
	Gateway string `json:"gateway,omitempty"`
	Dev     string `json:"dev,omitempty"`
	Src     string `json:"src,omitempty"`
	MTU     int    `json:"mtu,omitempty"`
	Table   int    `json:"table,omitempty"`
	OnLink  bool   `json:"onlink,omitempty"`
}

// Neighbor is one ARP/NDP (or FDB) entry.
type Neighbor struct {
	IP    string `json:"ip,omitempty"`
	MAC   string `json:"mac,omitempty"`
	Dev   string `json:"dev"`
	State string `json:"state,omitempty"`
}

// Listener is one listening socket.
type Listener struct {
	Proto string `json:"proto"`
	Addr  string `json:"addr"`
	Port  int    `json:"port"`
}
