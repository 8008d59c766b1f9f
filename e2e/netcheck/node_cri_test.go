//go:build e2e

package netcheck

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Issue #4: the shipped probe speaks CRI. In node mode the client's netns is
// opened through the runtime (the container's PID from ContainerStatus), and
// each node's scan cross-checks the API's pods with its runtime's sandboxes;
// on each node the socket is the one its own kubelet was configured with (the
// lab runs two kubelets on one host, each in its node's network namespace).
func TestNodeModeUsesCRI(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "nodecri")
	ctx := framework.Context(t, nodeModeTimeout)

	rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "-n", f.ns, "client", "--to", "svc/web", "--mode", "node")
	client := "pod " + f.ns + "/client"
	podView := 0
	for _, r := range rep.Results {
		if r.Vantage != client {
			continue
		}
		podView++
		t.Logf("%s: netns %s", r.ID, r.Netns)
		if !strings.HasPrefix(r.Netns, client+": pid ") || !strings.Contains(r.Netns, " via cri containerd ") {
			t.Errorf("%s ran in netns %q; want the client's, opened via cri containerd", r.ID, r.Netns)
		}
	}
	if podView == 0 {
		t.Fatalf("no pod-view result from %s", client)
	}

	scanned := map[string]bool{}
	for _, r := range resultsOf(rep, v1alpha1.CheckNSScan) {
		node := strings.TrimPrefix(r.Vantage, "node ")
		if r.NSScan == nil {
			t.Errorf("nsscan of %s: %s %s", node, r.Status, r.Error)
			continue
		}
		scanned[node] = true
		src := r.NSScan.SandboxSource
		t.Logf("nsscan of %s: %s", node, src)
		for _, want := range []string{
			"cri containerd ", "/var/lib/netcheck-lab/run/" + node + "/containerd.sock",
			"kubelet config /var/lib/netcheck-lab/etc/" + node + "/kubelet.yaml", "cross-check: ", " 0 where api and cri disagree",
		} {
			if !strings.Contains(src, want) {
				t.Errorf("nsscan of %s: sandbox source %q lacks %q", node, src, want)
			}
		}
		// Every target pod on this node is owned with its runtime sandbox's ID.
		for _, ns := range r.NSScan.Namespaces {
			if sb := ns.Sandbox; sb != nil && sb.Namespace == f.ns && sb.ID == "" {
				t.Errorf("nsscan of %s: pod %s/%s owned without its sandbox ID (%+v)", node, sb.Namespace, sb.Name, sb)
			}
		}
	}
	for _, n := range []string{lab.Node1.Name, lab.Node2.Name} {
		if !scanned[n] {
			t.Errorf("no nsscan of %s", n)
		}
	}
	noNodePodsLeft(t, c, f.ns)
}
