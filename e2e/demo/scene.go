package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// namespace is fixed so the printed command can be copied; an earlier demo
// killed before its cleanup leaves it behind, and setUp removes it first.
const namespace = "netcheck-demo"

// scene is what the demo runs against: Service web in front of web-1 (node 1)
// and web-2 (node 2), and a client pod on node 1.
type scene struct {
	web1, web2, client *corev1.Pod
	svc                *corev1.Service
}

// setUp creates the namespace and the scene and waits until the Service
// answers through kube-proxy on both nodes and by name at every CoreDNS
// replica. The namespace's deletion is registered with tb first, so it goes
// even when a later step fails.
func setUp(ctx context.Context, tb *demoTB, c *framework.Cluster) (*scene, error) {
	if err := deleteNamespace(ctx, c, "left by an earlier demo"); err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace,
		Labels: map[string]string{"app.kubernetes.io/part-of": "netcheck-demo"}}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	tb.Cleanup(func() {
		// Not the run's context: after Ctrl-C it is cancelled, and this must still happen.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := deleteNamespace(ctx, c, "the demo's"); err != nil {
			tb.Errorf("%v", err)
		}
	})

	backend := func(name, node string) *corev1.Pod {
		p := framework.EchoPod(name, node)
		p.Labels["app"] = "web"
		return p
	}
	pods := []*corev1.Pod{backend("web-1", lab.Node1.Name), backend("web-2", lab.Node2.Name),
		framework.EchoPod("client", lab.Node1.Name, "-idle")}
	for _, p := range pods {
		if _, err := c.Client.CoreV1().Pods(namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("create pod %s: %w", p.Name, err)
		}
	}
	var s scene
	for i, dst := range []**corev1.Pod{&s.web1, &s.web2, &s.client} {
		p, err := c.WaitPodReady(ctx, namespace, pods[i].Name)
		if err != nil {
			return nil, err
		}
		*dst = p
	}
	svc, err := c.Client.CoreV1().Services(namespace).Create(ctx, framework.EchoService("web", "web"), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create service web: %w", err)
	}
	s.svc = svc
	if err := c.WaitServiceProgrammed(ctx, namespace, "web", lab.Nodes...); err != nil {
		return nil, err
	}
	return &s, waitResolvable(ctx, c, svc)
}

// deleteNamespace deletes the demo namespace, if there, and waits until it is
// gone, so the next demo can create it again.
func deleteNamespace(ctx context.Context, c *framework.Cluster, whose string) error {
	_, err := c.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", namespace, err)
	}
	fmt.Printf("deleting %s namespace %s ...\n", whose, namespace)
	// No grace period: the echo server has nothing to drain.
	zero := int64(0)
	_ = c.Client.CoreV1().Pods(namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	if err := c.Client.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s: %w", namespace, err)
	}
	for {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			fmt.Printf("deleted namespace %s\n", namespace)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s still there: %w", namespace, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitResolvable polls each CoreDNS replica directly until it answers the
// Service's name: CoreDNS learns new Services from its own watch, and a run
// that beats it would show an NXDOMAIN that has nothing to do with the fault.
func waitResolvable(ctx context.Context, c *framework.Cluster, svc *corev1.Service) error {
	name := fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, svc.Namespace)
	replicas, err := c.Client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil {
		return fmt.Errorf("list CoreDNS pods: %w", err)
	}
	for _, r := range replicas.Items {
		if r.Status.PodIP == "" || r.DeletionTimestamp != nil {
			continue
		}
		resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort(r.Status.PodIP, "53"))
		}}
		for {
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			addrs, err := resolver.LookupHost(qctx, name)
			cancel()
			if err == nil && len(addrs) == 1 && addrs[0] == svc.Spec.ClusterIP {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("CoreDNS %s does not resolve %s (%v %v): %w", r.Name, name, addrs, err, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}
