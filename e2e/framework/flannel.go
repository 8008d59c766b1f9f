package framework

import (
	"encoding/json"
	"net"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// FlannelPeer reads what flannel published about node n: its VTEP IP (the
// network address of its podCIDR, the neighbour other nodes keep on
// flannel.1), its VTEP MAC and its public IP (the FDB destination).
func FlannelPeer(t testing.TB, c *Cluster, n lab.Node) (vtepIP, vtepMAC, publicIP string) {
	t.Helper()
	node, err := c.Client.CoreV1().Nodes().Get(Context(t, 10*time.Second), n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var data struct{ VtepMAC string }
	if err := json.Unmarshal([]byte(node.Annotations["flannel.alpha.coreos.com/backend-data"]), &data); err != nil {
		t.Fatalf("backend-data of %s: %v", n.Name, err)
	}
	_, cidr, err := net.ParseCIDR(node.Spec.PodCIDR)
	if err != nil {
		t.Fatal(err)
	}
	return cidr.IP.String(), data.VtepMAC, node.Annotations["flannel.alpha.coreos.com/public-ip"]
}
