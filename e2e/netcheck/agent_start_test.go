//go:build e2e

package netcheck

import (
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Issue #3: a probe image the node does not have is exit 3 with one line that
// names the image, the node and --image. The plugin execs into a new agent
// before the kubelet reports it running, and every such exec only says
// "container not found"; the kubelet's waiting reason must still end the run
// with that line, at once rather than at --timeout.
func TestProbeImageMissing(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "noimage", nil)
	createReady(t, c, ns, framework.EchoPod("client", lab.Node1.Name, "-idle"))
	const image = "localhost/netcheck/no-such-probe:1"

	res := c.Netcheck(t, framework.Context(t, 2*time.Minute),
		"-n", ns, "client", "--to", lab.ClusterDNS+":53", "--image", image, "--image-pull-policy", "Never", "--timeout", "90s")
	if res.ExitCode != v1alpha1.ExitCouldNotRun {
		t.Errorf("exit code %d, want %d", res.ExitCode, v1alpha1.ExitCouldNotRun)
	}
	// A timeout would say "timed out after 1m30s waiting for agent".
	containsAll(t, "error line", errorLine(t, res.Stderr), image, "is not present on node "+lab.Node1.Name, "--image")
}
