package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleLeakedNetns warns about namespaces on the pod network that no live pod
// owns and about runtime shims orphaned to PID 1, one finding per node. They
// break nothing yet (a namespace already in an IP conflict is reported there),
// but each holds an address the CNI may hand out again.
func ruleLeakedNetns(d *diagnosis) {
	for _, n := range d.nodes.list {
		var lines, ids []string
		leaks, shims := 0, 0
		for _, scan := range n.scans {
			r := scan.NSScan
			inConflict := conflictInodes(r)
			elsewhere := d.otherNodesNamespaces(n, r)
			cited := false
			host := hostInodes(r)
			for _, l := range r.Leaked {
				if inConflict[l.Inode] || elsewhere[l.Inode] || starting(l.Processes) {
					continue
				}
				leaks++
				cited = true
				lines = append(lines, leakLine(l))
			}
			for _, s := range r.OrphanShims {
				if allIn(s.NetNSInodes, elsewhere) || allIn(s.NetNSInodes, host) || starting(s.Children) {
					continue
				}
				shims++
				cited = true
				lines = append(lines, shimLine(s))
			}
			if cited {
				ids = append(ids, scan.ID)
			}
		}
		if len(lines) == 0 {
			continue
		}
		var what []string
		if leaks > 0 {
			what = append(what, plural(leaks, "leaked network namespace", "leaked network namespaces"))
		}
		if shims > 0 {
			what = append(what, plural(shims, "orphaned runtime shim", "orphaned runtime shims"))
		}
		f := newFinding(IDLeakedNetns)
		f.Target = nodeLabel(n)
		f.Summary = fmt.Sprintf("node %s: %s", n.name, strings.Join(what, " and "))
		f.Hop = fmt.Sprintf("node %s", n.name)
		f.Evidence = lines
		f.CheckIDs = ids
		d.add(f)
	}
}

// conflictInodes are the namespaces holding an IP some other namespace holds too.
func conflictInodes(r *v1alpha1.NSScanResult) map[uint64]bool {
	out := map[uint64]bool{}
	for _, dup := range r.Duplicates {
		if len(dup.Holders) < 2 {
			continue
		}
		for _, h := range dup.Holders {
			out[h.Inode] = true
		}
	}
	return out
}

func leakLine(l v1alpha1.LeakedNetNS) string {
	var b strings.Builder
	fmt.Fprintf(&b, "leaked net:[%d]", l.Inode)
	if len(l.Addrs) > 0 {
		fmt.Fprintf(&b, " holding %s", strings.Join(l.Addrs, ", "))
	}
	if len(l.BridgePorts) > 0 {
		fmt.Fprintf(&b, ", bridge port %s", strings.Join(l.BridgePorts, ","))
	}
	if len(l.Paths) > 0 {
		fmt.Fprintf(&b, ", mounted at %s", strings.Join(l.Paths, ","))
	}
	if ps := procList(l.Processes, 4); ps != "" {
		b.WriteString(", " + ps)
	} else {
		b.WriteString(", no processes (kept by its bind mount)")
	}
	if l.Reason != "" {
		b.WriteString(": " + l.Reason)
	}
	return b.String()
}

func shimLine(s v1alpha1.OrphanShim) string {
	line := fmt.Sprintf("orphaned shim pid %d %s, parent %d", s.PID, s.Comm, s.PPID)
	if s.SandboxID != "" {
		line += fmt.Sprintf(", sandbox %.13s gone", s.SandboxID)
	}
	if len(s.Children) > 0 {
		line += ", still running " + procList(s.Children, 3)
	}
	if len(s.NetNSInodes) > 0 {
		inodes := make([]string, len(s.NetNSInodes))
		for i, ino := range s.NetNSInodes {
			inodes[i] = fmt.Sprintf("net:[%d]", ino)
		}
		line += " in " + strings.Join(inodes, ", ")
	}
	return line
}

// otherNodesNamespaces are the namespaces of a scan that hold a pod address
// outside the node's own pod CIDR: pods of another node. They only show up
// where nodes share one kernel (nested test nodes, kind-like setups), and
// their runtime shims look orphaned to this node's scan because their pods
// are not this node's; they are neither leaked nor orphaned. Without the
// node's pod CIDR, another node in the report must claim the address.
func (d *diagnosis) otherNodesNamespaces(n *nodeView, r *v1alpha1.NSScanResult) map[uint64]bool {
	own := n.podCIDR()
	foreign := func(s string) bool {
		a := addrOf(s)
		if !a.IsValid() || a.IsLoopback() || a.IsLinkLocalUnicast() {
			return false
		}
		if own.IsValid() {
			return !own.Contains(a)
		}
		owner := d.nodes.nodeOfPodIP(a)
		return owner != nil && owner != n
	}
	out := map[uint64]bool{}
	for _, ns := range r.Namespaces {
		if ns.Host {
			continue
		}
		for _, ifc := range ns.Interfaces {
			for _, a := range ifc.Addrs {
				if foreign(a) {
					out[ns.Inode] = true
				}
			}
		}
	}
	for _, l := range r.Leaked {
		for _, a := range l.Addrs {
			addr, _, _ := strings.Cut(a, " ") // "10.244.1.5/24 on eth0"
			if foreign(addr) {
				out[l.Inode] = true
			}
		}
	}
	return out
}

func allIn(inodes []uint64, set map[uint64]bool) bool {
	if len(inodes) == 0 {
		return false
	}
	for _, i := range inodes {
		if !set[i] {
			return false
		}
	}
	return true
}

// hostInodes are the scan's host namespaces: a shim whose containers all run
// there served a hostNetwork pod (the node agent itself, started after the
// API's pod list was read) and holds no pod IP.
func hostInodes(r *v1alpha1.NSScanResult) map[uint64]bool {
	out := map[uint64]bool{}
	for _, ns := range r.Namespaces {
		if ns.Host {
			out[ns.Inode] = true
		}
	}
	return out
}

// starting: every process is runc's container init ("runc:[2:INIT]"): a pod
// being created while the scan ran, newer than the API's pod list.
func starting(ps []v1alpha1.NSProcess) bool {
	if len(ps) == 0 {
		return false
	}
	for _, p := range ps {
		if !strings.HasPrefix(p.Comm, "runc") {
			return false
		}
	}
	return true
}
