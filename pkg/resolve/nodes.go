package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// flannel's node annotations (flannel.alpha.coreos.com/*), read as published by
// its kube subnet manager.
const (
	flannelBackendData = "flannel.alpha.coreos.com/backend-data"
	flannelBackendType = "flannel.alpha.coreos.com/backend-type"
	flannelPublicIP    = "flannel.alpha.coreos.com/public-ip"
)

// Nodes reads the named nodes (deduplicated, sorted) and returns their facts
// for Report.Nodes. A node that cannot be read is an error: node-mode
// diagnosis compares every node's state with these facts.
func (r *Resolver) Nodes(ctx context.Context, names ...string) ([]v1alpha1.NodeFacts, error) {
	seen := map[string]bool{}
	var uniq []string
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			uniq = append(uniq, n)
		}
	}
	sort.Strings(uniq)
	out := make([]v1alpha1.NodeFacts, 0, len(uniq))
	for _, name := range uniq {
		node, err := r.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("get node %s: %w", name, err)
		}
		out = append(out, NodeFactsOf(node))
	}
	return out, nil
}

// NodeFactsOf is the pure part of Nodes: the InternalIP, podCIDR and flannel
// annotations of one node. A malformed backend-data annotation leaves VNI and
// VtepMAC empty rather than failing: the rules that need them stay silent.
func NodeFactsOf(node *corev1.Node) v1alpha1.NodeFacts {
	f := v1alpha1.NodeFacts{Name: node.Name, PodCIDR: node.Spec.PodCIDR}
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && f.InternalIP == "" {
			f.InternalIP = a.Address
		}
	}
	ann := node.Annotations
	if ann[flannelBackendData] == "" && ann[flannelPublicIP] == "" && ann[flannelBackendType] == "" {
		return f
	}
	fl := &v1alpha1.FlannelFacts{BackendType: ann[flannelBackendType], PublicIP: ann[flannelPublicIP]}
	var data struct {
		VNI     int    `json:"VNI"`
		VtepMAC string `json:"VtepMAC"`
	}
	if err := json.Unmarshal([]byte(ann[flannelBackendData]), &data); err == nil {
		fl.VNI, fl.VtepMAC = data.VNI, data.VtepMAC
	}
	f.Flannel = fl
	return f
}
