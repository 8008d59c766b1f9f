//go:build e2e

package netcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

// Issue #4: Ctrl-C at any moment of a node-mode run leaves no node pod behind
// and exits 3: as the node pods are being created (right after the first
// progress line), once one runs, and while the checks run (the far captures
// and the source node's probes in flight).
func TestNodeModeInterrupted(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "nodeint", nil)
	createReady(t, c, ns, framework.EchoPod("web", lab.Node2.Name), framework.EchoPod("client", lab.Node1.Name, "-idle"))

	for _, tc := range []struct {
		name string
		// when says the run has reached the point to interrupt, from its stderr.
		when func(stderr string) bool
	}{
		{"right after the first progress line", func(s string) bool { return len(nonEmptyLines(s)) >= 1 }},
		{"once a node pod runs", func(s string) bool { return strings.Contains(s, " runs on node ") }},
		{"during the checks", func(s string) bool { return strings.Contains(s, "running ") && strings.Contains(s, "checks from node") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// An unused ClusterIP swallows every connect (1 s each, 5 at a
			// time), so the checks run for minutes unless interrupted; pod/web
			// puts a node pod on node 2 too.
			cmd := netcheckCmd(c, "-n", ns, "client", "--to", "10.96.255.254:80", "--to", "pod/web", "--count", "1000", "--mode", "node")
			stderr := &lockedBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			if !waitFor(done, 2*time.Minute, func() bool { return tc.when(stderr.String()) }) {
				t.Fatalf("the run never got there:\n%s", stderr.String())
			}
			interrupt(t, cmd, done, stderr, 30*time.Second)
			// Every node pod that ran was deleted, and the run said so.
			out := stderr.String()
			if ran, deleted := strings.Count(out, " runs on node "), strings.Count(out, "deleted node pod "); deleted < ran {
				t.Errorf("%d node pods ran, %d deleted", ran, deleted)
			}
			noNodePodsLeft(t, c, ns)
		})
	}
}
