package v1alpha1

// CheckNodeInfo names the node evidence check (pkg/probes/nodeinfo): a read-only
// snapshot of the node state pod traffic depends on — forwarding sysctls, the
// links on the path with their MTUs, the VXLAN device and its neighbour/FDB
// entries, the firewall ruleset with counters, conntrack. It runs from a node
// pod (hostNetwork, hostPID, privileged) and never changes anything.
const CheckNodeInfo = "nodeinfo"

// NodeInfoSpec asks for a snapshot of the node the probe runs on.
type NodeInfoSpec struct {
	// Interfaces are the links whose per-interface sysctls (rp_filter, forwarding)
	// are read in addition to all/default; empty means every link of the node.
	Interfaces []string `json:"interfaces,omitempty"`
	// Firewall asks for the nftables ruleset (iptables-nft rules included) with
	// rule counters. Two snapshots, before and after the probe traffic, give the
	// counter deltas of the rules the probes hit.
	Firewall bool `json:"firewall,omitempty"`
	// FirewallChains, when set, keeps only chains whose name has one of these
	// prefixes (e.g. "KUBE-", "FORWARD", "POSTROUTING") plus the base chains'
	// policies; it bounds the result on nodes with thousands of Services.
	FirewallChains []string `json:"firewallChains,omitempty"`
	// ProcRoot is the node's procfs; "" means /proc (right with hostPID+hostNetwork).
	ProcRoot string `json:"procRoot,omitempty"`
	// Phase labels the snapshot, echoed in the result: NodeInfoBefore or
	// NodeInfoAfter the probe traffic, so diagnosis can diff the counters.
	Phase string `json:"phase,omitempty"`
}

// NodeInfo phases.
const (
	NodeInfoBefore = "before"
	NodeInfoAfter  = "after"
)

// NodeInfoResult is the evidence of a nodeinfo check.
type NodeInfoResult struct {
	// Phase is NodeInfoSpec.Phase.
	Phase string `json:"phase,omitempty"`
	// Hostname is the node's kernel hostname (uname -n).
	Hostname string `json:"hostname,omitempty"`
	// Sysctls are the values read, by full dotted key, e.g.
	// "net.ipv4.ip_forward": "1". A key the kernel lacks (tcp_tw_recycle since
	// 4.12, bridge-nf-call-iptables without br_netfilter) is absent. Per-link
	// keys carry the link name as it is, dots included
	// ("net.ipv4.conf.flannel.1.rp_filter", not sysctl(8)'s "flannel/1"):
	// build them with ConfSysctl.
	Sysctls map[string]string `json:"sysctls"`
	Links   []NodeLink        `json:"links"`
	// Routes are the main routing table's IPv4 routes.
	Routes []NodeRoute `json:"routes,omitempty"`
	// Neighbors and FDB are the entries on VXLAN devices (flannel.1): the peer
	// VTEPs' inner MACs and the outer IPs they are reached at.
	Neighbors []NeighborEntry `json:"neighbors,omitempty"`
	FDB       []FDBEntry      `json:"fdb,omitempty"`
	Firewall  *Firewall       `json:"firewall,omitempty"`
	Conntrack *ConntrackStats `json:"conntrack,omitempty"`
	// Errors are parts that could not be read; the rest is still valid.
	Errors []string `json:"errors,omitempty"`
}

// Sysctl keys the nodeinfo check reads.
const (
	SysctlIPForward        = "net.ipv4.ip_forward"
	SysctlBridgeNFIPTables = "net.bridge.bridge-nf-call-iptables"
	SysctlTCPTimestamps    = "net.ipv4.tcp_timestamps"
	SysctlTCPTWRecycle     = "net.ipv4.tcp_tw_recycle"
	SysctlConntrackMax     = "net.netfilter.nf_conntrack_max"
	SysctlConntrackCount   = "net.netfilter.nf_conntrack_count"
	// Per-interface keys (see ConfSysctl) and the two pseudo-interfaces.
	ConfRPFilter   = "rp_filter"
	ConfForwarding = "forwarding"
	ConfAll        = "all"
	ConfDefault    = "default"
)

// ConfSysctl is the key of a per-interface IPv4 sysctl in
// NodeInfoResult.Sysctls: ConfSysctl("flannel.1", ConfRPFilter) is
// "net.ipv4.conf.flannel.1.rp_filter"; iface may be ConfAll or ConfDefault.
func ConfSysctl(iface, name string) string {
	return "net.ipv4.conf." + iface + "." + name
}

// NodeLink is one link of the node.
type NodeLink struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	// Kind is the netlink kind: "veth", "bridge", "vxlan", "device", ...
	Kind      string   `json:"kind"`
	MTU       int      `json:"mtu"`
	MAC       string   `json:"mac,omitempty"`
	Addrs     []string `json:"addrs,omitempty"`
	Master    string   `json:"master,omitempty"`
	OperState string   `json:"operState,omitempty"`
	// VXLAN is set for VXLAN devices.
	VXLAN *NodeVXLAN `json:"vxlan,omitempty"`
}

// NodeVXLAN is a VXLAN device's configuration. VXLAN adds 50 bytes, so its MTU
// must be at most its underlay's minus 50; a Local that is not the node's
// InternalIP is the "new node encapsulates with the wrong source IP" fault.
type NodeVXLAN struct {
	VNI     int    `json:"vni"`
	Local   string `json:"local,omitempty"`
	DstPort int    `json:"dstPort"`
	// Underlay is the link the encapsulated packets leave by (the VTEP device, or
	// the link owning Local); UnderlayMTU its MTU.
	Underlay    string `json:"underlay,omitempty"`
	UnderlayMTU int    `json:"underlayMTU,omitempty"`
}

// NodeRoute is one route.
type NodeRoute struct {
	Dst string `json:"dst"`
	Gw  string `json:"gw,omitempty"`
	Dev string `json:"dev,omitempty"`
	Src string `json:"src,omitempty"`
	// Onlink marks flannel's "via 10.244.1.0 dev flannel.1 onlink" routes.
	Onlink bool `json:"onlink,omitempty"`
	MTU    int  `json:"mtu,omitempty"`
}

// NeighborEntry is one neighbour (ARP) entry.
type NeighborEntry struct {
	Link  string `json:"link"`
	IP    string `json:"ip"`
	MAC   string `json:"mac,omitempty"`
	State string `json:"state"`
}

// FDBEntry is one forwarding database entry of a VXLAN device: frames for MAC
// are sent to the VTEP at Dst.
type FDBEntry struct {
	Link  string `json:"link"`
	MAC   string `json:"mac"`
	Dst   string `json:"dst,omitempty"`
	State string `json:"state,omitempty"`
}

// Firewall is the node's nftables ruleset. Rules added with iptables-nft appear
// in the "ip filter"/"ip nat" tables under their iptables chain names.
type Firewall struct {
	// Backend is "nftables"; "iptables-legacy" rules are not readable and only
	// noted in Error when found.
	Backend string          `json:"backend"`
	Tables  []FirewallTable `json:"tables"`
	Error   string          `json:"error,omitempty"`
}

// FirewallTable is one table.
type FirewallTable struct {
	// Family is "ip", "ip6", "inet", "bridge", "arp" or "netdev".
	Family string          `json:"family"`
	Name   string          `json:"name"`
	Chains []FirewallChain `json:"chains"`
}

// FirewallChain is one chain; Hook/Policy are set for base chains.
type FirewallChain struct {
	Name     string         `json:"name"`
	Hook     string         `json:"hook,omitempty"`
	Type     string         `json:"type,omitempty"`
	Priority int            `json:"priority,omitempty"`
	Policy   string         `json:"policy,omitempty"`
	Rules    []FirewallRule `json:"rules,omitempty"`
}

// FirewallRule is one rule with its counters.
type FirewallRule struct {
	// Handle identifies the rule within its table for counter deltas.
	Handle uint64 `json:"handle"`
	// Text is a readable rendering, iptables-like where the rule came from
	// iptables-nft ("-s 10.244.0.0/16 -j MASQUERADE"), nft-like otherwise.
	Text string `json:"text"`
	// Verdict is what the rule does: "accept", "drop", "reject", "masquerade",
	// "snat", "dnat", "jump CHAIN", "goto CHAIN", "return", or "" (counter only).
	Verdict string `json:"verdict,omitempty"`
	// To is where a dnat/snat rule translates to ("10.244.1.3:8080"), e.g. the
	// endpoint of a kube-proxy KUBE-SEP chain; "" for other verdicts.
	To string `json:"to,omitempty"`
	// Comment is the rule's comment (kube-proxy names the Service in it).
	Comment string `json:"comment,omitempty"`
	// Match summarises what the rule matches in a form rules can test: addresses
	// and prefixes ("saddr 10.244.0.0/16", "daddr 10.96.0.10"), ports
	// ("dport 80", "dport 30000-32767"), protocols ("proto tcp"), interfaces
	// ("iifname cni0", "oifname veth+" for a prefix), conntrack states
	// ("ctstate RELATED,ESTABLISHED"), marks ("mark 0x4000/0x4000"), address
	// types ("dst-type LOCAL"), sets ("daddr @name"); a negated match starts
	// with "! " ("! daddr 10.244.0.0/16"). Matches the probe cannot decode are
	// "xt <name>" (iptables extensions such as "xt statistic") or the nft
	// expression's name.
	Match   []string `json:"match,omitempty"`
	Packets uint64   `json:"packets"`
	Bytes   uint64   `json:"bytes"`
}

// ConntrackStats is the connection tracking table's fill and failures, of
// the node's network namespace (each namespace has its own table and count;
// Max, net.netfilter.nf_conntrack_max, is one value for the whole machine).
type ConntrackStats struct {
	Count int `json:"count"`
	Max   int `json:"max"`
	// The counters are summed over CPUs (/proc/net/stat/nf_conntrack) and
	// count since the namespace was created; the before and after snapshots
	// of a run give what they rose by during it.
	//
	// InsertFailed: a new entry lost the race to the table (the SNAT
	// port-race symptom). Drop: a new connection found the table full and
	// nothing evictable ("nf_conntrack: table full, dropping packet").
	// EarlyDrop: an unconfirmed entry was evicted to make room (the table is
	// at its limit).
	InsertFailed uint64 `json:"insertFailed"`
	Drop         uint64 `json:"drop"`
	EarlyDrop    uint64 `json:"earlyDrop"`
	// Invalid: packets conntrack could not track (malformed, out of window);
	// SearchRestart: lookups restarted because the table changed under them.
	Invalid       uint64 `json:"invalid"`
	SearchRestart uint64 `json:"searchRestart"`
}

// ConntrackRise is how much a node's conntrack failure counters rose between
// two snapshots of the same namespace.
type ConntrackRise struct {
	Drop, EarlyDrop, InsertFailed, Invalid uint64
}

// RiseSince is what the failure counters rose by since before. A counter
// that went down (the module was reloaded, the namespace is another one)
// counts as not risen.
func (s ConntrackStats) RiseSince(before ConntrackStats) ConntrackRise {
	rise := func(after, before uint64) uint64 {
		if after < before {
			return 0
		}
		return after - before
	}
	return ConntrackRise{Drop: rise(s.Drop, before.Drop), EarlyDrop: rise(s.EarlyDrop, before.EarlyDrop),
		InsertFailed: rise(s.InsertFailed, before.InsertFailed), Invalid: rise(s.Invalid, before.Invalid)}
}

// Dropping: new connections were refused an entry (drop, early_drop,
// insert_failed); invalid packets alone are not the table's fault.
func (r ConntrackRise) Dropping() bool { return r.Drop+r.EarlyDrop+r.InsertFailed > 0 }

// NetnsRef names the network namespace a node agent enters to run the pod-view
// checks (tcp, icmp, dns, netinfo) "from the pod" without an ephemeral
// container. The probe uses the first field set, in this order: Path, PID,
// ContainerID, PodUID. A container ID or pod UID is asked of the container
// runtime over CRI first (the container's PID, the pod's ready sandbox and its
// pause PID), else found by a process whose cgroup names the container or pod
// (either cgroup driver); the result's netns says which. A dns check without
// resolvConf reads the pod's own, ProcRoot/<PID>/root/etc/resolv.conf of a
// process of the pod that has one (the pause process has none).
type NetnsRef struct {
	Path string `json:"path,omitempty"`
	PID  int    `json:"pid,omitempty"`
	// ContainerID is as in the pod status ("containerd://<64 hex>") or bare.
	ContainerID string `json:"containerID,omitempty"`
	PodUID      string `json:"podUID,omitempty"`
	// Label names the namespace in results, e.g. "pod default/client".
	Label string `json:"label,omitempty"`
	// ProcRoot is the node's procfs the PID, cgroup and resolv.conf lookups
	// use; "" means /proc (right with hostPID).
	ProcRoot string `json:"procRoot,omitempty"`
	// CRISocket is the container runtime socket to ask; "" means the one this
	// node's kubelet uses, else the default sockets of containerd, CRI-O, k3s.
	CRISocket string `json:"criSocket,omitempty"`
}
