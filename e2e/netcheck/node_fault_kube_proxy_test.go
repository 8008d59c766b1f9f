//go:build e2e

package netcheck

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue #4: kube-proxy is down on node 1, where the client runs. Its rules
// stay as they were, so what node 1 does with the ClusterIP depends on what
// happened since: the Service's chain flushed (missing rules), or a backend
// replaced while nobody updated them (stale rules).
func TestNodeFaultKubeProxy(t *testing.T) {
	c := framework.Get(t)

	t.Run("stopped, and the Service's KUBE-SVC chain removed", func(t *testing.T) {
		web := newWebFixture(t, c, "kpmissing")
		faults.StopKubeProxy(t, lab.Node1)
		removed := faults.RemoveServiceChain(t, lab.Node1, web.svc.Spec.ClusterIP, 80, "TCP")

		rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", web.ns, "client", "--to", "svc/web", "--mode", "node")
		f := requireFinding(t, rep, diagnose.IDKubeProxyRulesMissing)
		// The chain the finding computed is the one kube-proxy had written.
		mentions(t, f, lab.Node1.Name, removed.Chain, web.ns+"/web:http", web.svc.Spec.ClusterIP+":80")
		hopNames(t, f, lab.Node1.Name, removed.Chain)
		evidenceHas(t, f, "KUBE-SERVICES rule", web.web1.Status.PodIP, web.web2.Status.PodIP)
		for _, ff := range rep.Findings {
			if ff.ID == diagnose.IDTCPTimeout || ff.ID == diagnose.IDServiceEndpointsAllTimeout {
				t.Errorf("a second finding for the same fault: %s %s", ff.ID, ff.Summary)
			}
		}
	})

	t.Run("stopped, then a backend replaced: stale rules", func(t *testing.T) {
		web := newWebFixture(t, c, "kpstale")
		faults.StopKubeProxy(t, lab.Node1)
		old := web.web2.Status.PodIP
		ctx := framework.Context(t, 2*time.Minute)
		zero := int64(0)
		if err := c.Client.CoreV1().Pods(web.ns).Delete(ctx, "web-2", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
		web3 := createReady(t, c, web.ns, backend("web-3", "web", lab.Node2.Name))[0]
		// Node 2's kube-proxy follows; node 1's does not.
		if err := c.WaitServiceProgrammed(ctx, web.ns, "web", lab.Node2); err != nil {
			t.Fatal(err)
		}

		rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", web.ns, "client", "--to", "svc/web", "--mode", "node", "--count", "30")
		f := requireFinding(t, rep, diagnose.IDKubeProxyRulesStale)
		mentions(t, f, lab.Node1.Name, fmt.Sprintf("%s:%d", old, framework.EchoHTTPPort),
			fmt.Sprintf("%s:%d", web3.Status.PodIP, framework.EchoHTTPPort))
		hopNames(t, f, lab.Node1.Name, "KUBE-SVC-")
	})
}
