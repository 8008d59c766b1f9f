package nsscan

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// leakedNamespaces: on the pod network (an address in the pod CIDR, or a veth
// plugged into the node bridge) and owned by no live pod: none at all, or
// only a stopped sandbox (StopPodSandbox should have torn the network down).
// Without ownership (no API pods, no runtime) nothing can be called leaked.
func leakedNamespaces(f facts) []v1alpha1.LeakedNetNS {
	if !f.SandboxesKnown {
		return nil
	}
	var out []v1alpha1.LeakedNetNS
	for _, ns := range f.Namespaces {
		if ns.Host || ns.Inode == f.BridgeInode || liveOwner(ns.Sandbox) || f.Unjudged[ns.Inode] || isNodeNamespace(ns, f.BridgeName) {
			continue
		}
		var reasons, addrs []string
		for _, iface := range ns.Interfaces {
			for _, a := range iface.Addrs {
				p, err := netip.ParsePrefix(a)
				if err != nil || !f.PodCIDR.IsValid() || !f.PodCIDR.Contains(p.Addr().Unmap()) {
					continue
				}
				addrs = append(addrs, a+" on "+iface.Name)
			}
		}
		if len(addrs) > 0 {
			reasons = append(reasons, "address in pod CIDR "+f.PodCIDR.String())
		}
		if len(ns.BridgePorts) > 0 {
			reasons = append(reasons, fmt.Sprintf("attached to bridge %s via %s", f.BridgeName, strings.Join(ns.BridgePorts, ",")))
		}
		if len(reasons) == 0 {
			continue
		}
		owner := "owned by no pod sandbox"
		if f.ByAPI {
			owner = "owned by no live pod"
		}
		if ns.Sandbox != nil {
			owner = fmt.Sprintf("its sandbox %.13s (%s/%s) is %s, so its network should be gone",
				ns.Sandbox.ID, ns.Sandbox.Namespace, ns.Sandbox.Name, ns.Sandbox.State)
		}
		out = append(out, v1alpha1.LeakedNetNS{
			Inode: ns.Inode, Paths: ns.Paths, Addrs: addrs, BridgePorts: ns.BridgePorts,
			Processes: ns.Processes, Reason: strings.Join(reasons, "; ") + "; " + owner,
		})
	}
	return out
}

// isNodeNamespace: a namespace with its own node bridge (cni0) is another
// node's, not a pod's: nodes nested on one kernel (kind, the local two-node
// cluster) all show up in the scan.
func isNodeNamespace(ns v1alpha1.NetNamespace, bridge string) bool {
	if bridge == "" {
		return false
	}
	for _, iface := range ns.Interfaces {
		if iface.Name == bridge && iface.Kind == "bridge" {
			return true
		}
	}
	return false
}
