package faults

import (
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// StopKubeProxy stops kube-proxy on node, as when the daemon crashed: its
// rules stay in place but go stale (new Services and endpoint changes are not
// programmed on that node). Cleanup starts it again.
func StopKubeProxy(t testing.TB, node lab.Node) {
	t.Helper()
	l, err := lab.New()
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	name := lab.DaemonName(node, lab.KubeProxyD)
	if err := l.Stop(name, 10*time.Second); err != nil {
		t.Fatalf("faults: %v", err)
	}
	t.Logf("faults: stopped %s", name)
	t.Cleanup(func() {
		if _, err := l.Start(l.KubeProxyDaemon(node)); err != nil {
			t.Errorf("faults: restart %s: %v", name, err)
		}
	})
}

// KubeProxyRunning reports whether kube-proxy runs on node.
func KubeProxyRunning(node lab.Node) bool {
	l, err := lab.New()
	if err != nil {
		return false
	}
	_, ok := l.Running(lab.DaemonName(node, lab.KubeProxyD))
	return ok
}
