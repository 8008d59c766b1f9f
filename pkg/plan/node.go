package plan

import (
	"slices"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Node check bounds: a node's firewall can hold thousands of rules, and a scan
// reads every network namespace of the node.
const (
	nodeInfoTimeout = 20 * time.Second
	nsscanTimeout   = 30 * time.Second
	// DefaultBridge is the bridge pods attach to under flannel and the bridge CNI.
	DefaultBridge = "cni0"
)

// NodeVantage is how results of a node agent about its node name it.
func NodeVantage(node string) string { return "node " + node }

// NodeInfoID is the ID of a node's nodeinfo snapshot in phase
// (v1alpha1.NodeInfoBefore or NodeInfoAfter).
func NodeInfoID(node, phase string) string { return "nodeinfo:" + node + ":" + phase }

// NodeInfo asks for a read-only snapshot of node: sysctls, links, routes,
// VXLAN neighbours and FDB, the whole firewall with counters, conntrack. One is
// taken before the probe traffic and one after, so rules the probes hit show
// as counter deltas.
func NodeInfo(node, phase string) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{
		ID: NodeInfoID(node, phase), Check: v1alpha1.CheckNodeInfo, Target: NodeVantage(node),
		TimeoutMillis: int(nodeInfoTimeout.Milliseconds()),
		NodeInfo:      &v1alpha1.NodeInfoSpec{Firewall: true, Phase: phase},
	}
}

// NSScanID is the ID of a node's namespace scan.
func NSScanID(node string) string { return "nsscan:" + node }

// NSScan asks for every network namespace of node with its owner among pods
// (the API's pods on the node), the holders of targetIPs, and namespaces
// leaked on podCIDR or on the bridge.
func NSScan(node, podCIDR string, pods []v1alpha1.NodePod, targetIPs []string) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{
		ID: NSScanID(node), Check: v1alpha1.CheckNSScan, Target: NodeVantage(node),
		TimeoutMillis: int(nsscanTimeout.Milliseconds()),
		NSScan: &v1alpha1.NSScanSpec{
			// No HostRoot: /proc/1/root is not readable where PID 1 refuses
			// ptrace (sandboxed inits, this lab's), and the scan fails then;
			// with hostPID, /proc/*/ns/net and the mount table find every
			// namespace a process or a bind mount keeps alive.
			TargetIPs: targetIPs, PodCIDR: podCIDR, BridgeName: DefaultBridge, Pods: pods,
		},
	}
}

// ViewNodes are the nodes a node view covers: the source pod's node first,
// then every other node hosting a target pod or endpoint, sorted.
func ViewNodes(r *v1alpha1.Report) []string {
	var others []string
	for _, t := range r.Targets {
		if t.Node != "" {
			others = append(others, t.Node)
		}
		for _, ep := range t.Endpoint {
			if ep.Node != "" {
				others = append(others, ep.Node)
			}
		}
	}
	slices.Sort(others)
	others = slices.Compact(others)
	out := []string{r.Source.Node}
	for _, n := range others {
		if n != r.Source.Node {
			out = append(out, n)
		}
	}
	return out
}

// TargetIPsOn lists the target pod and endpoint IPs on node: the addresses
// whose holders its namespace scan must name, even when only one holds them.
func TargetIPsOn(r *v1alpha1.Report, node string) []string {
	var ips []string
	for _, t := range r.Targets {
		if t.Node == node && t.Pod != "" {
			ips = append(ips, t.IPs...)
		}
		for _, ep := range t.Endpoint {
			if ep.Node == node {
				ips = append(ips, ep.IP)
			}
		}
	}
	slices.Sort(ips)
	return slices.Compact(ips)
}

// PodViewChecks are the checks that run "from the pod": from a node agent
// they run inside the pod's netns (ProbeRequest.Netns) and keep the pod's vantage.
func PodViewCheck(check string) bool {
	switch check {
	case v1alpha1.CheckTCP, v1alpha1.CheckICMP, v1alpha1.CheckDNS, v1alpha1.CheckNetInfo:
		return true
	}
	return false
}
