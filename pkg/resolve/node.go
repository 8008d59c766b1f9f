package resolve

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// FlannelPublicIPAnnotation is where flannel records the address a node's
// VXLAN traffic leaves from (the underlay address).
const FlannelPublicIPAnnotation = "flannel.alpha.coreos.com/public-ip"

// NodeFacts are what node mode reads about one node from the API.
type NodeFacts struct {
	Name string
	// PodCIDR is spec.podCIDR, this node's share of the pod network.
	PodCIDR    string
	InternalIP string
	// VTEPIP is flannel's public-ip annotation, "" without flannel.
	VTEPIP string
	// Pods are the live pods the API places on the node; PodsErr says why
	// they could not be listed (the scan then judges ownership without them).
	Pods    []v1alpha1.NodePod
	PodsErr error
	// Report is the node as Report.Nodes carries it (flannel's VtepMAC and
	// public-ip included), for the diagnosis to hold the node state against.
	Report v1alpha1.NodeFacts
}

// Node reads node name and the live pods scheduled on it.
func (r *Resolver) Node(ctx context.Context, name string) (NodeFacts, error) {
	node, err := r.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return NodeFacts{}, fmt.Errorf("get node %s: %w", name, err)
	}
	f := NodeFacts{Name: name, PodCIDR: node.Spec.PodCIDR, VTEPIP: node.Annotations[FlannelPublicIPAnnotation],
		Report: NodeFactsOf(node)}
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && f.InternalIP == "" {
			f.InternalIP = a.Address
		}
	}
	list, err := r.Client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", name).String(),
	})
	if err != nil {
		f.PodsErr = fmt.Errorf("list pods on node %s: %w", name, err)
		return f, nil
	}
	// The field selector already filters; filtering again keeps clients that
	// ignore it (fakes, old proxies) from scanning for every pod of the cluster.
	onNode := slices.DeleteFunc(list.Items, func(p corev1.Pod) bool { return p.Spec.NodeName != name })
	f.Pods = NodePods(onNode)
	return f, nil
}

// NodePods are pods as a namespace scan takes them: the ones that may still
// own a network namespace (not Succeeded or Failed), sorted.
func NodePods(pods []corev1.Pod) []v1alpha1.NodePod {
	var out []v1alpha1.NodePod
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, v1alpha1.NodePod{Namespace: p.Namespace, Name: p.Name, UID: string(p.UID),
			IPs: podIPs(p), HostNetwork: p.Spec.HostNetwork})
	}
	slices.SortFunc(out, func(a, b v1alpha1.NodePod) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return out
}

// clusterCIDRSources are ConfigMaps that may name the whole pod network:
// flannel's net-conf.json and kube-proxy's clusterCIDR.
var clusterCIDRSources = []struct {
	namespace, name, key string
	re                   *regexp.Regexp
}{
	{"kube-flannel", "kube-flannel-cfg", "net-conf.json", regexp.MustCompile(`"Network"\s*:\s*"([^"]+)"`)},
	{"kube-system", "kube-flannel-cfg", "net-conf.json", regexp.MustCompile(`"Network"\s*:\s*"([^"]+)"`)},
	{"kube-system", "kube-proxy", "config.conf", regexp.MustCompile(`(?m)^\s*clusterCIDR:\s*"?([0-9a-fA-F.:/]+)"?`)},
}

// ClusterCIDR is the whole pod network when the cluster says it (flannel's or
// kube-proxy's ConfigMap), else "". Unreadable sources (absent, forbidden) are
// skipped: the node's own podCIDR is the fallback.
func (r *Resolver) ClusterCIDR(ctx context.Context) string {
	for _, s := range clusterCIDRSources {
		cm, err := r.Client.CoreV1().ConfigMaps(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		if m := s.re.FindStringSubmatch(cm.Data[s.key]); m != nil {
			if p, err := netip.ParsePrefix(m[1]); err == nil && p.Addr().Is4() {
				return p.Masked().String()
			}
		}
	}
	return ""
}

// ScanCIDR is the pod network a node's namespace scan judges leaks on: the
// cluster's when known, else the node's own podCIDR.
func ScanCIDR(cluster string, node NodeFacts) string {
	if cluster != "" {
		return cluster
	}
	return node.PodCIDR
}

// PodNetns names pod's network namespace for a node agent: the container's
// ID from the status (the probe finds a process whose cgroup names it), and
// the pod UID as the fallback (a process of the pod: the ID changes when the
// container restarts, the UID does not). Label names it in results.
func PodNetns(pod *corev1.Pod, container string) *v1alpha1.NetnsRef {
	ref := &v1alpha1.NetnsRef{PodUID: string(pod.UID), Label: "pod " + pod.Namespace + "/" + pod.Name}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container || (container == "" && cs.State.Running != nil && ref.ContainerID == "") {
			ref.ContainerID = cs.ContainerID
		}
	}
	return ref
}
