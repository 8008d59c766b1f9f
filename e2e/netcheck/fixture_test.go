//go:build e2e

package netcheck

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// webFixture is the scene of issue #3: Service web in front of two echo
// backends, web-1 on node 1 and web-2 on node 2, and a client pod on node 1.
type webFixture struct {
	ns     string
	web1   *corev1.Pod
	web2   *corev1.Pod
	client *corev1.Pod
	svc    *corev1.Service
}

// newWebFixture builds the scene in a fresh namespace and waits until the
// Service is programmed on both nodes and resolvable at every CoreDNS replica,
// so a check that fails is the injected fault and not a cluster still catching up.
func newWebFixture(t *testing.T, c *framework.Cluster, prefix string) *webFixture {
	t.Helper()
	ns := c.Namespace(t, prefix, nil)
	pods := createReady(t, c, ns,
		backend("web-1", "web", lab.Node1.Name),
		backend("web-2", "web", lab.Node2.Name),
		framework.EchoPod("client", lab.Node1.Name, "-idle"))
	f := &webFixture{ns: ns, web1: pods[0], web2: pods[1], client: pods[2]}
	f.svc = c.CreateService(t, ns, framework.EchoService("web", "web"))
	waitResolvable(t, c, ns, f.svc)
	return f
}

// backend is an echo pod labelled app=<app> (EchoPod labels it with its own name).
func backend(name, app, node string, args ...string) *corev1.Pod {
	p := framework.EchoPod(name, node, args...)
	p.Labels["app"] = app
	return p
}

// createReady creates all pods at once, then waits for each to be Ready: the
// pods start in parallel instead of one after the other.
func createReady(t testing.TB, c *framework.Cluster, ns string, pods ...*corev1.Pod) []*corev1.Pod {
	t.Helper()
	ctx := framework.Context(t, 2*time.Minute)
	for _, p := range pods {
		if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s/%s: %v", ns, p.Name, err)
		}
	}
	out := make([]*corev1.Pod, len(pods))
	for i, p := range pods {
		ready, err := c.WaitPodReady(ctx, ns, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = ready
	}
	return out
}

// waitResolvable polls every CoreDNS replica directly until each answers the
// Service's name with its ClusterIP. CoreDNS learns a new Service from its
// own watch; a netcheck run that beats it would report NXDOMAIN. The bound is
// generous because a fault an earlier test undid (ip_forward=0 on a replica's
// node) leaves that replica's API watch waiting for its next TCP
// retransmission, which backs off to tens of seconds.
func waitResolvable(t testing.TB, c *framework.Cluster, ns string, svc *corev1.Service) {
	t.Helper()
	name := fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, ns)
	ctx := framework.Context(t, 90*time.Second)
	replicas, err := c.Client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil {
		t.Fatalf("list CoreDNS pods: %v", err)
	}
	for _, r := range replicas.Items {
		if r.Status.PodIP == "" || r.DeletionTimestamp != nil {
			continue
		}
		var last error
		for {
			addrs, err := lookupVia(ctx, r.Status.PodIP, name)
			if err == nil && len(addrs) == 1 && addrs[0] == svc.Spec.ClusterIP {
				break
			}
			last = fmt.Errorf("%v %v", addrs, err)
			select {
			case <-ctx.Done():
				t.Fatalf("CoreDNS %s (%s) does not resolve %s to %s: %v", r.Name, r.Status.PodIP, name, svc.Spec.ClusterIP, last)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// lookupVia resolves name with one DNS server only (the test runs in node 1's
// netns, which routes to pod IPs).
func lookupVia(ctx context.Context, server, name string) ([]string, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(server, "53"))
	}}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return r.LookupHost(ctx, name)
}

// podNetns is the pod's network namespace as nsenter and the faults take it.
func podNetns(t testing.TB, p *corev1.Pod) string {
	t.Helper()
	path, err := framework.PodNetnsPath(p)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// podCIDR is the pod network of a node as the API allocated it.
func podCIDR(t testing.TB, c *framework.Cluster, node lab.Node) *net.IPNet {
	t.Helper()
	n, err := c.Client.CoreV1().Nodes().Get(framework.Context(t, 10*time.Second), node.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, cidr, err := net.ParseCIDR(n.Spec.PodCIDR)
	if err != nil {
		t.Fatalf("podCIDR of %s: %v", node.Name, err)
	}
	return cidr
}
