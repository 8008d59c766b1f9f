package resolve

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// flannel's node annotations (flannel.alpha.coreos.com/*), read as published by
// its kube subnet manager.
const (
	flannelBackendData = "flannel.alpha.coreos.com/backend-data"
	flannelBackendType = "flannel.alpha.coreos.com/backend-type"
	flannelPublicIP    = "flannel.alpha.coreos.com/public-ip"
)

// NodeFactsOf is a node as Report.Nodes carries it: the InternalIP, podCIDR
// and flannel annotations. A malformed backend-data annotation leaves VNI and
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
