package resolve

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func flannelNode(name, internalIP, podCIDR string, ann map[string]string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: ann},
		Spec:       corev1.NodeSpec{PodCIDR: podCIDR},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeHostName, Address: name},
			{Type: corev1.NodeInternalIP, Address: internalIP},
		}},
	}
}

func TestNodeFactsOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		node *corev1.Node
		want v1alpha1.NodeFacts
	}{
		{
			name: "flannel vxlan node, public-ip on another interface than the InternalIP",
			node: flannelNode("netcheck-node1", "10.200.0.1", "10.244.1.0/24", map[string]string{
				"flannel.alpha.coreos.com/backend-data":        `{"VNI":1,"VtepMAC":"6e:57:26:d7:94:00"}`,
				"flannel.alpha.coreos.com/backend-type":        "vxlan",
				"flannel.alpha.coreos.com/kube-subnet-manager": "true",
				"flannel.alpha.coreos.com/public-ip":           "10.201.0.1",
			}),
			want: v1alpha1.NodeFacts{Name: "netcheck-node1", InternalIP: "10.200.0.1", PodCIDR: "10.244.1.0/24",
				Flannel: &v1alpha1.FlannelFacts{BackendType: "vxlan", VNI: 1, VtepMAC: "6e:57:26:d7:94:00", PublicIP: "10.201.0.1"}},
		},
		{
			name: "no flannel",
			node: flannelNode("n", "192.168.1.10", "10.0.3.0/24", map[string]string{"other": "x"}),
			want: v1alpha1.NodeFacts{Name: "n", InternalIP: "192.168.1.10", PodCIDR: "10.0.3.0/24"},
		},
		{
			name: "malformed backend-data keeps the public IP",
			node: flannelNode("n", "192.168.1.10", "", map[string]string{
				"flannel.alpha.coreos.com/backend-data": `not json`,
				"flannel.alpha.coreos.com/public-ip":    "192.168.1.10",
			}),
			want: v1alpha1.NodeFacts{Name: "n", InternalIP: "192.168.1.10",
				Flannel: &v1alpha1.FlannelFacts{PublicIP: "192.168.1.10"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, NodeFactsOf(tc.node)); diff != "" {
				t.Errorf("NodeFactsOf (-want +got):\n%s", diff)
			}
		})
	}
}
