//go:build e2e

package netcheck

import (
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #3, a check that could not run: the target pod refuses, so netcheck
// wants the pod's own socket table, but the pod sits in a namespace whose Pod
// Security level ("restricted") rejects the agent. The refusal is still a
// fault; the follow-up that could not run is reported as check-error with the
// reason, instead of the run failing or the gap passing silently.
func TestFollowupBlockedByPodSecurity(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "followup", nil)
	psaNS := c.Namespace(t, "followup-psa", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	createReady(t, c, ns, framework.EchoPod("client", lab.Node1.Name, "-idle"))
	// -idle: the pod serves nothing, so every connect is refused (RST).
	createReady(t, c, psaNS, restrictedPod("srv", lab.Node2.Name))

	rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), v1alpha1.ExitFault,
		"-n", ns, "client", "--to", "pod/"+psaNS+"/srv:8080")
	mentions(t, requireFinding(t, rep, diagnose.IDTCPRefused), psaNS+"/srv", lab.Node2.Name)
	onlyFault(t, rep, diagnose.IDTCPRefused)

	fd := requireFinding(t, rep, diagnose.IDCheckError)
	mentions(t, fd, "netinfo check could not run", "pod "+psaNS+"/srv")
	hasEvidence(t, fd, "Pod Security", `"restricted"`, psaNS)
	if fd.Severity != v1alpha1.SeverityWarning {
		t.Errorf("%s severity %s, want warning", fd.ID, fd.Severity)
	}
	if agents := agentsIn(t, c, psaNS, "srv"); len(agents) != 0 {
		t.Errorf("the restricted pod got agents %v", agents)
	}
}
