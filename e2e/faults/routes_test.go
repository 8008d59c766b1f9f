//go:build e2e

package faults_test

import (
	"net"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"golang.org/x/sys/unix"
)

func TestBlackholeRouteOnNode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "blackhole", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	addr := httpAddr(pod)
	dst := pod.Status.PodIP + "/32"
	mustAnswer(t, "", addr)

	t.Run("blackhole for the pod on node 2", func(t *testing.T) {
		faults.BlackholeRoute(t, lab.Node2.NetnsPath(), dst)
		if !hasBlackhole(t, lab.Node2.NetnsPath(), dst) {
			t.Fatalf("no blackhole route %s on node 2", dst)
		}
		mustNotAnswer(t, "", addr)
	})
	if hasBlackhole(t, lab.Node2.NetnsPath(), dst) {
		t.Errorf("blackhole route %s still on node 2 after cleanup", dst)
	}
	mustAnswer(t, "", addr)
}

// hasBlackhole reports whether the main table in the namespace at path holds
// a blackhole route for dst.
func hasBlackhole(t *testing.T, path, dst string) bool {
	t.Helper()
	ns, err := netns.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	routes, err := h.RouteList(nil, unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := net.ParseCIDR(dst)
	for _, r := range routes {
		if r.Type == unix.RTN_BLACKHOLE && r.Dst != nil && r.Dst.String() == want.String() {
			return true
		}
	}
	return false
}
