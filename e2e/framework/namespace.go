package framework

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Namespace creates a namespace for the test ("e2e-<prefix>-xxxxx") and deletes
// it when the test ends. labels are added as given, e.g. the PodSecurity label
// {"pod-security.kubernetes.io/enforce": "restricted"}.
func (c *Cluster) Namespace(t testing.TB, prefix string, labels map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "e2e-" + strings.ToLower(prefix) + "-",
		Labels:       labels,
	}}
	created, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	name := created.Name
	t.Cleanup(func() {
		// Pods get no grace period: the next test needs the CPU more than they
		// need a graceful shutdown. Deletion itself finishes in the background.
		// Each call has its own deadline, so a slow first one cannot leave the
		// namespace (and privileged pods in it) behind.
		zero := int64(0)
		if err := withTimeout(30*time.Second, func(ctx context.Context) error {
			return c.Client.CoreV1().Pods(name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
		}); err != nil {
			t.Logf("delete pods of namespace %s: %v", name, err)
		}
		if err := withTimeout(30*time.Second, func(ctx context.Context) error {
			return c.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		}); err != nil {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	return name
}

func withTimeout(d time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f(ctx)
}
