package resolve

import (
	"context"
	"fmt"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ClusterDNS names the Service that fronts the cluster's DNS (CoreDNS keeps the
// kube-dns name for compatibility).
const (
	ClusterDNSNamespace = "kube-system"
	ClusterDNSService   = "kube-dns"
)

// DNSServers lists each ready CoreDNS endpoint on port 53, so the probe can query
// every replica directly and a broken one behind the ClusterIP is named.
func (r *Resolver) DNSServers(ctx context.Context) ([]v1alpha1.DNSServer, error) {
	list, err := r.Client.DiscoveryV1().EndpointSlices(ClusterDNSNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + ClusterDNSService,
	})
	if err != nil {
		return nil, fmt.Errorf("list endpointslices of %s/%s: %w", ClusterDNSNamespace, ClusterDNSService, err)
	}
	return DNSServers(list.Items), nil
}

// DNSServers turns the kube-dns slices into direct DNS servers (UDP port 53, the
// port the resolver uses).
func DNSServers(slices []discoveryv1.EndpointSlice) []v1alpha1.DNSServer {
	var eps []v1alpha1.Endpoint
	for _, p := range []corev1.ServicePort{
		{Name: "dns", Protocol: corev1.ProtocolUDP},
		{Name: "", Protocol: corev1.ProtocolUDP},
	} {
		eps = Endpoints(slices, p)
		if len(eps) > 0 {
			break
		}
	}
	var out []v1alpha1.DNSServer
	for _, ep := range eps {
		if !ep.Ready {
			continue
		}
		name := ClusterDNSNamespace + "/" + ep.Pod
		if ep.Pod == "" {
			name = ClusterDNSNamespace + "/" + ep.IP
		}
		if ep.Node != "" {
			name += " (node " + ep.Node + ")"
		}
		out = append(out, v1alpha1.DNSServer{
			Address: net.JoinHostPort(ep.IP, strconv.Itoa(ep.Port)),
			Name:    name,
			Role:    "endpoint",
		})
	}
	return out
}
