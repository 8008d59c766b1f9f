package nsscan

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// holding is one (namespace, interface, address).
type holding struct {
	ns    *v1alpha1.NetNamespace
	iface *v1alpha1.Interface
	addr  string
}

// addressHoldings indexes every address worth comparing by IP: loopback,
// link-local, multicast and unspecified addresses are the same in every
// namespace by design.
func addressHoldings(nss []v1alpha1.NetNamespace) map[netip.Addr][]holding {
	out := map[netip.Addr][]holding{}
	for i := range nss {
		ns := &nss[i]
		for j := range ns.Interfaces {
			iface := &ns.Interfaces[j]
			for _, a := range iface.Addrs {
				p, err := netip.ParsePrefix(a)
				if err != nil {
					continue
				}
				ip := p.Addr().Unmap()
				if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
					ip.IsMulticast() || ip.IsUnspecified() {
					continue
				}
				out[ip] = append(out[ip], holding{ns: ns, iface: iface, addr: a})
			}
		}
	}
	return out
}

// duplicateIPs reports every IP held by two or more namespaces, and every
// target IP with its holders whatever their number.
func duplicateIPs(f facts, leaked map[uint64]bool) []v1alpha1.DuplicateIP {
	held := addressHoldings(f.Namespaces)
	targets := map[netip.Addr]bool{}
	for _, s := range f.TargetIPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			targets[ip.Unmap()] = true
		}
	}
	var ips []netip.Addr
	for ip, hs := range held {
		if targets[ip] || distinctNamespaces(hs) > 1 {
			ips = append(ips, ip)
		}
	}
	for ip := range targets {
		if _, ok := held[ip]; !ok {
			ips = append(ips, ip)
		}
	}
	sort.Slice(ips, func(i, j int) bool { return ips[i].Less(ips[j]) })

	out := make([]v1alpha1.DuplicateIP, 0, len(ips))
	for _, ip := range ips {
		d := v1alpha1.DuplicateIP{IP: ip.String(), Target: targets[ip], Holders: []v1alpha1.NSHolder{}}
		for _, h := range held[ip] {
			d.Holders = append(d.Holders, toHolder(h, leaked[h.ns.Inode]))
		}
		sortHolders(d.Holders)
		d.SameMAC = len(d.Holders) > 1 && sameMAC(d.Holders)
		d.Summary = duplicateSummary(d, f.SandboxesKnown)
		out = append(out, d)
	}
	return out
}

func distinctNamespaces(hs []holding) int {
	seen := map[uint64]bool{}
	for _, h := range hs {
		seen[h.ns.Inode] = true
	}
	return len(seen)
}

func toHolder(h holding, leaked bool) v1alpha1.NSHolder {
	return v1alpha1.NSHolder{
		Inode: h.ns.Inode, Paths: h.ns.Paths, Host: h.ns.Host,
		Interface: h.iface.Name, MAC: h.iface.MAC, Addr: h.addr,
		BridgePorts: h.ns.BridgePorts, Sandbox: h.ns.Sandbox, Leaked: leaked,
		Processes: h.ns.Processes,
	}
}

// sortHolders puts live sandboxes first, then the host, then the rest, so the
// summary reads "the pod ... and a leaked namespace ...".
func sortHolders(hs []v1alpha1.NSHolder) {
	rank := func(h v1alpha1.NSHolder) int {
		switch {
		case h.Sandbox != nil:
			return 0
		case h.Host:
			return 1
		case h.Leaked:
			return 3
		}
		return 2
	}
	sort.SliceStable(hs, func(i, j int) bool {
		if rank(hs[i]) != rank(hs[j]) {
			return rank(hs[i]) < rank(hs[j])
		}
		return hs[i].Inode < hs[j].Inode
	})
}

func sameMAC(hs []v1alpha1.NSHolder) bool {
	for _, h := range hs {
		if h.MAC == "" || h.MAC != hs[0].MAC {
			return false
		}
	}
	return true
}

func duplicateSummary(d v1alpha1.DuplicateIP, ownershipKnown bool) string {
	switch len(d.Holders) {
	case 0:
		return fmt.Sprintf("%s is held by no network namespace on this node", d.IP)
	case 1:
		return fmt.Sprintf("%s is held only by %s", d.IP, describeHolder(d.Holders[0], ownershipKnown))
	}
	parts := make([]string, len(d.Holders))
	for i, h := range d.Holders {
		parts[i] = describeHolder(h, ownershipKnown)
	}
	mac := ""
	if d.SameMAC {
		mac = fmt.Sprintf(" with the same MAC %s (duplicate address detection cannot see it)", d.Holders[0].MAC)
	}
	return fmt.Sprintf("%s is held by %d network namespaces%s: %s", d.IP, len(d.Holders), mac, strings.Join(parts, "; "))
}

// describeHolder names a holder the way an operator would look for it: the pod,
// or the namespace with its bind mount, processes and their parents.
func describeHolder(h v1alpha1.NSHolder, ownershipKnown bool) string {
	var b strings.Builder
	switch {
	case h.Sandbox != nil && h.Sandbox.ID == "":
		fmt.Fprintf(&b, "pod %s/%s (uid %.8s, by %s)", h.Sandbox.Namespace, h.Sandbox.Name, h.Sandbox.UID, h.Sandbox.Via)
	case h.Sandbox != nil:
		fmt.Fprintf(&b, "pod %s/%s (sandbox %.13s, %s)", h.Sandbox.Namespace, h.Sandbox.Name, h.Sandbox.ID, h.Sandbox.State)
	case h.Host:
		b.WriteString("the node's own namespace")
	case h.Leaked:
		b.WriteString("leaked namespace (no live pod)")
	case !ownershipKnown:
		b.WriteString("namespace (owner unknown without the runtime)")
	default:
		b.WriteString("namespace of no pod sandbox")
	}
	fmt.Fprintf(&b, " net:[%d] %s %s", h.Inode, h.Interface, h.Addr)
	if h.MAC != "" {
		fmt.Fprintf(&b, " mac %s", h.MAC)
	}
	if len(h.Paths) > 0 {
		fmt.Fprintf(&b, " mounted at %s", strings.Join(h.Paths, ","))
	}
	if len(h.BridgePorts) > 0 {
		fmt.Fprintf(&b, " via %s", strings.Join(h.BridgePorts, ","))
	}
	if ps := describeProcs(h.Processes); ps != "" {
		b.WriteString(", " + ps)
	}
	return b.String()
}

// describeProcs: "pids 4242 (pause, parent 4240 containerd-shim, ppid 1)".
func describeProcs(ps []v1alpha1.NSProcess) string {
	if len(ps) == 0 {
		return "no processes"
	}
	const max = 4
	parts := make([]string, 0, max)
	for i, p := range ps {
		if i == max {
			parts = append(parts, fmt.Sprintf("+%d more", len(ps)-max))
			break
		}
		s := fmt.Sprintf("%d %s, parent %d", p.PID, p.Comm, p.PPID)
		if p.ParentComm != "" {
			s += fmt.Sprintf(" %s (ppid %d)", p.ParentComm, p.ParentPPID)
		}
		parts = append(parts, s)
	}
	return "pids " + strings.Join(parts, "; ")
}
