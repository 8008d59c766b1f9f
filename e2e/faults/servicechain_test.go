//go:build e2e

package faults_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

func TestRemoveServiceChain(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "svcchain", nil)
	c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	svc := c.CreateService(t, ns, framework.EchoService("echo", "echo"))
	addr := svc.Spec.ClusterIP + ":80"
	mustAnswer(t, "", addr) // from node 1, through node 1's kube-proxy rules

	var removed faults.RemovedChain
	t.Run("removed on node 1 with kube-proxy stopped", func(t *testing.T) {
		faults.StopKubeProxy(t, lab.Node1)
		removed = faults.RemoveServiceChain(t, lab.Node1, svc.Spec.ClusterIP, 80, "TCP")
		if !strings.HasPrefix(removed.Chain, "KUBE-SVC-") || len(removed.Rules) == 0 || len(removed.Jumps) != 1 {
			t.Fatalf("removed %+v, want a KUBE-SVC chain with its rules and the one KUBE-SERVICES jump", removed)
		}
		dump, err := framework.NodeIPTablesSave(framework.Context(t, 10*time.Second), lab.Node1, "nat")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dump, removed.Chain) {
			t.Errorf("%s still in node 1's nat table", removed.Chain)
		}
		mustNotAnswer(t, "", addr)
	})
	dump, err := framework.NodeIPTablesSave(framework.Context(t, 10*time.Second), lab.Node1, "nat")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dump, ":"+removed.Chain+" ") {
		t.Errorf("%s not back in node 1's nat table after cleanup", removed.Chain)
	}
	if !faults.KubeProxyRunning(lab.Node1) {
		t.Error("kube-proxy not restarted on node 1")
	}
	mustAnswer(t, "", addr)
}
