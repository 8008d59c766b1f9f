package faults

import (
	"context"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CoreDNSPod returns the running CoreDNS replica on node.
func CoreDNSPod(t testing.TB, c *framework.Cluster, node lab.Node) *corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pods, err := c.Client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{
		LabelSelector: "k8s-app=kube-dns",
		FieldSelector: "spec.nodeName=" + node.Name,
	})
	if err != nil {
		t.Fatalf("faults: list CoreDNS pods: %v", err)
	}
	for i := range pods.Items {
		if p := &pods.Items[i]; p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			return p
		}
	}
	t.Fatalf("faults: no running CoreDNS replica on %s", node.Name)
	return nil
}

// FreezeCoreDNS SIGSTOPs the CoreDNS process of the replica on node (SIGCONT at
// cleanup) and returns that pod. Queries to it time out; the kubelet will mark
// it unready after its readiness probe fails 3 times (~30 s) and restart it
// after 5 failed liveness probes, so keep such tests short.
func FreezeCoreDNS(t testing.TB, c *framework.Cluster, node lab.Node) *corev1.Pod {
	t.Helper()
	pod := CoreDNSPod(t, c, node)
	pid, err := framework.PodPID(pod, "coredns")
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	Freeze(t, pid)
	return pod
}

// DropDNS drops DNS (UDP and TCP port 53) arriving in the network namespace of
// the CoreDNS replica on node; the rules go at cleanup. It returns that pod.
// The process keeps running and its health endpoints stay up, so unlike
// FreezeCoreDNS the replica stays Ready: a silent black hole.
func DropDNS(t testing.TB, c *framework.Cluster, node lab.Node) *corev1.Pod {
	t.Helper()
	return DropDNSOver(t, c, node, "udp", "tcp")
}

// DropDNSOver is DropDNS for the given transports only ("udp", "tcp"), as a
// firewall or NetworkPolicy that admits DNS over one of them does.
func DropDNSOver(t testing.TB, c *framework.Cluster, node lab.Node, protos ...string) *corev1.Pod {
	t.Helper()
	pod := CoreDNSPod(t, c, node)
	path, err := framework.PodNetnsPath(pod)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	for _, proto := range protos {
		IPTablesRule(t, path, "filter", "INPUT", "-p", proto, "--dport", "53", "-j", "DROP")
	}
	return pod
}
