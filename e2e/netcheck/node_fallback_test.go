//go:build e2e

package netcheck

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Issue #4: when Pod Security "restricted" rejects the root agent in the
// source pod's namespace, auto mode falls back to node mode (its node pods in
// a --node-namespace that allows them), says why, and checks from the pod's
// netns all the same.
func TestAutoFallsBackToNodeMode(t *testing.T) {
	c := framework.Get(t)
	psaNS := c.Namespace(t, "fallback", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	nodeNS := c.Namespace(t, "fallback-node", nil)
	createReady(t, c, psaNS, restrictedPod("client", lab.Node1.Name))
	srv := createReady(t, c, nodeNS, framework.EchoPod("srv", lab.Node2.Name))[0]

	res := c.Netcheck(t, framework.Context(t, nodeModeTimeout), "-n", psaNS, "client", "--to", "pod/"+nodeNS+"/srv",
		"--node-namespace", nodeNS, "-o", "json")
	if res.ExitCode != v1alpha1.ExitOK {
		t.Fatalf("exit %d, want 0 from node mode", res.ExitCode)
	}
	containsAll(t, "progress", res.Stderr, "falling back to node mode", "Pod Security", psaNS, "creating node pod "+nodeNS+"/")
	rep := decodeReport(t, res.Stdout)
	if rep.Mode != "node" || !strings.Contains(rep.ModeReason, "Pod Security") || !strings.Contains(rep.ModeReason, psaNS) {
		t.Errorf("mode %q (%s), want node, naming the Pod Security rejection in %s", rep.Mode, rep.ModeReason, psaNS)
	}
	tcp := tcpResult(t, rep, hostPort(srv.Status.PodIP))
	if tcp.Vantage != "pod "+psaNS+"/client" || tcp.Status != v1alpha1.StatusPass {
		t.Errorf("tcp to srv: %s from %q, want a pass from the client pod", tcp.Status, tcp.Vantage)
	}
	if agents := agentsIn(t, c, psaNS, "client"); len(agents) != 0 {
		t.Errorf("the rejected agent is in the pod anyway: %v", agents)
	}
	noNodePodsLeft(t, c, nodeNS)
}

// decodeReport decodes a -o json report printed on stdout.
func decodeReport(t *testing.T, stdout string) *v1alpha1.Report {
	t.Helper()
	var rep v1alpha1.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("decode -o json report: %v\n%s", err, stdout)
	}
	return &rep
}
