//go:build e2e

package netcheck

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// bridge-nf-call-iptables=0 on node 2, where a client and the Service's only
// endpoint share the bridge: the ClusterIP connects time out (the SYN-ACK
// comes back untranslated from the pod IP) while the endpoint answers
// directly. The finding names the sysctl and node 2's bridge.
func TestNodeFaultBridgeNFCallOff(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "brnf", nil)
	createReady(t, c, ns, backend("web-1", "web", lab.Node2.Name), framework.EchoPod("client", lab.Node2.Name, "-idle"))
	svc := c.CreateService(t, ns, framework.EchoService("web", "web"))
	waitResolvable(t, c, ns, svc)
	faults.Sysctl(t, lab.Node2.NetnsPath(), "net.bridge.bridge-nf-call-iptables", "0")

	rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", ns, "client", "--to", "svc/web")
	f := requireFinding(t, rep, diagnose.IDBridgeNFCallOff)
	mentions(t, f, lab.Node2.Name, "net.bridge.bridge-nf-call-iptables=0")
	hopNames(t, f, lab.Node2.Name, "cni0")
	if res := tcpResult(t, rep, svc.Spec.ClusterIP+":80").TCP; res.Counts[v1alpha1.TCPOK] > 0 {
		t.Errorf("connects through the ClusterIP: %v, want none to succeed", res.Counts)
	}
}
