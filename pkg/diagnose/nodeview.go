package diagnose

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// nodeView is the node-mode evidence of one node: what the API says about it
// (Report.Nodes), its nodeinfo snapshots taken before and after the probe
// traffic, and its namespace scans. Node agents' results carry the Vantage
// "node <name>", which is how evidence is tied to a node.
type nodeView struct {
	name  string
	facts *v1alpha1.NodeFacts
	// before and after are the nodeinfo results by phase; a snapshot without a
	// phase counts as after (the state the probe traffic met).
	before, after *v1alpha1.CheckResult
	scans         []*v1alpha1.CheckResult
}

// info is the node's latest state: the after snapshot, else the before one.
func (n *nodeView) info() *v1alpha1.NodeInfoResult {
	if r := n.infoResult(); r != nil {
		return r.NodeInfo
	}
	return nil
}

func (n *nodeView) infoResult() *v1alpha1.CheckResult {
	if n.after != nil {
		return n.after
	}
	return n.before
}

// infoIDs are the IDs of the node's nodeinfo results, for CheckIDs.
func (n *nodeView) infoIDs() []string {
	var ids []string
	for _, r := range []*v1alpha1.CheckResult{n.before, n.after} {
		if r != nil {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// sysctl returns a sysctl of the latest snapshot. Interface keys are tried
// both as the kernel names the file (net.ipv4.conf.flannel/1.rp_filter: a dot
// in a link name is a slash in sysctl's dotted form) and with the raw name.
func (n *nodeView) sysctl(key string) (string, bool) {
	info := n.info()
	if info == nil {
		return "", false
	}
	v, ok := info.Sysctls[key]
	return strings.TrimSpace(v), ok
}

func (n *nodeView) ifaceSysctl(family, ifname, leaf string) (string, bool) {
	for _, name := range []string{strings.ReplaceAll(ifname, ".", "/"), ifname} {
		if v, ok := n.sysctl("net." + family + ".conf." + name + "." + leaf); ok {
			return v, true
		}
	}
	return "", false
}

// link is the node's link named name in the latest snapshot.
func (n *nodeView) link(name string) *v1alpha1.NodeLink {
	info := n.info()
	if info == nil {
		return nil
	}
	for i := range info.Links {
		if info.Links[i].Name == name {
			return &info.Links[i]
		}
	}
	return nil
}

// vxlanLinks are the node's VXLAN devices.
func (n *nodeView) vxlanLinks() []*v1alpha1.NodeLink {
	info := n.info()
	if info == nil {
		return nil
	}
	var out []*v1alpha1.NodeLink
	for i := range info.Links {
		if info.Links[i].VXLAN != nil || info.Links[i].Kind == "vxlan" {
			out = append(out, &info.Links[i])
		}
	}
	return out
}

// holdsAddr returns the node's link holding ip, or nil.
func (n *nodeView) holdsAddr(ip netip.Addr) *v1alpha1.NodeLink {
	info := n.info()
	if info == nil || !ip.IsValid() {
		return nil
	}
	for i := range info.Links {
		for _, a := range info.Links[i].Addrs {
			if addrOf(a) == ip {
				return &info.Links[i]
			}
		}
	}
	return nil
}

// podCIDR is the node's pod network from the API, invalid when unknown.
func (n *nodeView) podCIDR() netip.Prefix {
	if n.facts == nil {
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(n.facts.PodCIDR)
	if err != nil {
		return netip.Prefix{}
	}
	return p.Masked()
}

func (n *nodeView) flannel() *v1alpha1.FlannelFacts {
	if n.facts == nil {
		return nil
	}
	return n.facts.Flannel
}

// nodes is the node-mode evidence of the whole report.
type nodes struct {
	list   []*nodeView
	byName map[string]*nodeView
	// traces are the trace results that ran (not errored or skipped).
	traces []*v1alpha1.CheckResult
}

func newNodes(r *v1alpha1.Report) *nodes {
	ns := &nodes{byName: map[string]*nodeView{}}
	for i := range r.Nodes {
		ns.get(r.Nodes[i].Name).facts = &r.Nodes[i]
	}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Status == v1alpha1.StatusError || res.Status == v1alpha1.StatusSkip {
			continue
		}
		switch {
		case res.NodeInfo != nil:
			n := ns.get(nodeNameOf(res))
			if n == nil {
				continue
			}
			if res.NodeInfo.Phase == v1alpha1.NodeInfoBefore {
				if n.before == nil {
					n.before = res
				}
			} else if n.after == nil {
				n.after = res
			}
		case res.NSScan != nil:
			if n := ns.get(nodeNameOf(res)); n != nil {
				n.scans = append(n.scans, res)
			}
		case res.Trace != nil:
			ns.traces = append(ns.traces, res)
		}
	}
	return ns
}

// get returns the view of node name, creating it; nil for "".
func (ns *nodes) get(name string) *nodeView {
	if name == "" {
		return nil
	}
	if n, ok := ns.byName[name]; ok {
		return n
	}
	n := &nodeView{name: name}
	ns.byName[name] = n
	ns.list = append(ns.list, n)
	return n
}

// node returns the view of node name, nil when the report has none.
func (ns *nodes) node(name string) *nodeView { return ns.byName[name] }

// withInfo are the nodes that have a nodeinfo snapshot, sorted by name.
func (ns *nodes) withInfo() []*nodeView {
	var out []*nodeView
	for _, n := range ns.list {
		if n.info() != nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// podNetworks are the node pod CIDRs the API gave, the pod network of the cluster.
func (ns *nodes) podNetworks() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range ns.list {
		if p := n.podCIDR(); p.IsValid() {
			out = append(out, p)
		}
	}
	return out
}

// isPodIP: ip is inside some node's pod CIDR and no node link holds it (a
// node's flannel.1 and cni0 addresses are in its pod CIDR too).
func (ns *nodes) isPodIP(ip netip.Addr) bool {
	if ns.nodeHolding(ip) != nil {
		return false
	}
	for _, p := range ns.podNetworks() {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// nodeHolding returns the node one of whose links holds ip, and that link.
func (ns *nodes) nodeHolding(ip netip.Addr) *nodeLink {
	for _, n := range ns.list {
		if l := n.holdsAddr(ip); l != nil {
			return &nodeLink{node: n, link: l}
		}
	}
	for _, n := range ns.list {
		if n.facts != nil && (addrOf(n.facts.InternalIP) == ip ||
			(n.facts.Flannel != nil && addrOf(n.facts.Flannel.PublicIP) == ip)) {
			return &nodeLink{node: n}
		}
	}
	return nil
}

// nodeOfPodIP is the node whose pod CIDR holds ip.
func (ns *nodes) nodeOfPodIP(ip netip.Addr) *nodeView {
	for _, n := range ns.list {
		if p := n.podCIDR(); p.IsValid() && p.Contains(ip) {
			return n
		}
	}
	return nil
}

// nodeLink is a node and one of its links (link may be nil when only the API
// facts named the address).
type nodeLink struct {
	node *nodeView
	link *v1alpha1.NodeLink
}

func (nl *nodeLink) String() string {
	if nl.link == nil {
		return "node " + nl.node.name
	}
	return "node " + nl.node.name + "'s " + nl.link.Name
}

// nodeNameOf is the node of a node agent's result ("node NAME" vantage), or
// the hostname the probe read.
func nodeNameOf(res *v1alpha1.CheckResult) string {
	if name, ok := strings.CutPrefix(res.Vantage, "node "); ok {
		return strings.TrimSpace(name)
	}
	if res.NodeInfo != nil {
		return res.NodeInfo.Hostname
	}
	return ""
}

// addrOf parses "10.0.0.1", "10.0.0.1/24" or "10.0.0.1:80" into an address.
func addrOf(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}
