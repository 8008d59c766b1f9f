package nsscan

import (
	"net/netip"
	"slices"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ownByPods ties namespaces to the live pods the API server places on the
// node, without the container runtime: first by the pod UID the cgroups of a
// namespace's processes name (uidOfNS, inode -> UID), then, for pods still
// without a namespace, by the pod IP a namespace holds. A pod owns one
// namespace; when several namespaces claim the same pod and the pod's IP does
// not pick one, or several unclaimed namespaces hold the same pod's IP, none
// is chosen and all are returned as unjudged. It does no I/O.
func ownByPods(nss []v1alpha1.NetNamespace, pods []v1alpha1.NodePod, uidOfNS map[uint64]string) (unjudged map[uint64]bool) {
	unjudged = map[uint64]bool{}
	podByUID := map[string]*v1alpha1.NodePod{}
	for i := range pods {
		if !pods[i].HostNetwork { // hostNetwork pods share the node's namespace and own none
			podByUID[pods[i].UID] = &pods[i]
		}
	}
	owned := map[string]bool{}  // pod UID -> has its namespace
	claimed := map[int]bool{}   // index in nss -> owned
	byUID := map[string][]int{} // pod UID -> namespaces whose processes name it
	for i, ns := range nss {
		if uid := uidOfNS[ns.Inode]; uid != "" && !ns.Host && podByUID[uid] != nil {
			byUID[uid] = append(byUID[uid], i)
		}
	}
	own := func(i int, p *v1alpha1.NodePod, via string) {
		nss[i].Sandbox = &v1alpha1.SandboxRef{Namespace: p.Namespace, Name: p.Name, UID: p.UID, Via: via}
		owned[p.UID], claimed[i] = true, true
	}
	for uid, idx := range byUID {
		p := podByUID[uid]
		if len(idx) > 1 {
			// Usually a sandbox recreated while the old one's processes
			// linger: the namespace holding the pod's IP is the live one.
			idx = holdingAny(nss, idx, p.IPs)
		}
		if len(idx) == 1 {
			own(idx[0], p, v1alpha1.OwnerViaCgroup)
			continue
		}
		for _, i := range byUID[uid] {
			unjudged[nss[i].Inode] = true
		}
	}
	// Addresses are indexed once (pods x namespaces would be quadratic); pods
	// go in the request's order, so ties resolve the same way every run.
	holders := indexAddresses(nss)
	for i := range pods {
		p := &pods[i]
		if p.HostNetwork || owned[p.UID] || len(p.IPs) == 0 {
			continue
		}
		var idx []int
		for _, s := range p.IPs {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				continue
			}
			for _, j := range holders[ip.Unmap()] {
				if !claimed[j] && !unjudged[nss[j].Inode] && !slices.Contains(idx, j) {
					idx = append(idx, j)
				}
			}
		}
		switch len(idx) {
		case 0:
		case 1:
			own(idx[0], p, v1alpha1.OwnerViaIP)
		default:
			for _, i := range idx {
				unjudged[nss[i].Inode] = true
			}
		}
	}
	return unjudged
}

// indexAddresses maps every address of a namespace other than the host's to
// the namespaces (indexes into nss) holding it.
func indexAddresses(nss []v1alpha1.NetNamespace) map[netip.Addr][]int {
	out := map[netip.Addr][]int{}
	for i, ns := range nss {
		if ns.Host {
			continue
		}
		for _, iface := range ns.Interfaces {
			for _, a := range iface.Addrs {
				if p, err := netip.ParsePrefix(a); err == nil {
					ip := p.Addr().Unmap()
					if l := out[ip]; len(l) == 0 || l[len(l)-1] != i {
						out[ip] = append(l, i)
					}
				}
			}
		}
	}
	return out
}

// holdingAny keeps the namespaces (indexes into nss) holding one of ips.
func holdingAny(nss []v1alpha1.NetNamespace, idx []int, ips []string) []int {
	want := map[netip.Addr]bool{}
	for _, s := range ips {
		if ip, err := netip.ParseAddr(s); err == nil {
			want[ip.Unmap()] = true
		}
	}
	var out []int
	for _, i := range idx {
		if holds(nss[i], want) {
			out = append(out, i)
		}
	}
	return out
}

func holds(ns v1alpha1.NetNamespace, want map[netip.Addr]bool) bool {
	for _, iface := range ns.Interfaces {
		for _, a := range iface.Addrs {
			if p, err := netip.ParsePrefix(a); err == nil && want[p.Addr().Unmap()] {
				return true
			}
		}
	}
	return false
}
