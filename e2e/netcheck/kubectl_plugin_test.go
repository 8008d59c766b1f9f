//go:build e2e

package netcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

// Issue #5: the real kubectl (the lab's v1.33.13) finds the plugin on PATH,
// lists it, and dispatches `kubectl netcheck` to it.
func TestKubectlFindsThePlugin(t *testing.T) {
	c := framework.Get(t)
	ctx := framework.Context(t, time.Minute)

	version, err := c.Kubectl(ctx, "version", "--client")
	if err != nil {
		t.Fatal(err)
	}
	containsAll(t, "kubectl version", version, "v1.33.13")

	list, err := c.Kubectl(ctx, "plugin", "list")
	if err != nil {
		t.Fatal(err)
	}
	containsAll(t, "kubectl plugin list", list, "compatible plugins", c.NetcheckPath)

	help, err := c.Kubectl(ctx, "netcheck", "--help")
	if err != nil {
		t.Fatal(err)
	}
	containsAll(t, "kubectl netcheck --help", help,
		"kubectl netcheck SOURCE --to TARGET [--to TARGET...] | -f FILE",
		"-f, --filename", "--image-pull-secret", "--preflight", "kind: CheckSuite", "expect: blocked",
		"Exit codes:", "3  could not run", "deploy/rbac.yaml", "--kubeconfig")

	out, err := c.Kubectl(ctx, "netcheck", "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "kubectl-netcheck ") || !strings.Contains(out, "probe image: ") {
		t.Errorf("kubectl netcheck version: %q", out)
	}
}
