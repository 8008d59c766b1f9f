//go:build e2e

package netcheck

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue #4, a leak alone: a namespace a dead pod left on node 2's cni0 holds
// an address of the pod CIDR that no pod has, kept alive by a process
// re-parented to PID 1. Nothing is broken yet, so `node/NAME` passes with a
// warning that names the leaked address and the process holding it.
func TestNodeFaultLeakedNetns(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "leakednetns", nil)
	cidr := podCIDR(t, c, lab.Node2)
	ones, _ := cidr.Mask.Size()
	ip := freePodIP(t, c, cidr)
	leak := faults.LeakedNetns(t, faults.LeakOptions{Node: lab.Node2, IP: fmt.Sprintf("%s/%d", ip, ones), MAC: "02:42:0a:f4:ff:fb"})

	rep := netcheckNode(t, c, v1alpha1.ExitOK, "node/"+lab.Node2.Name, "--node-namespace", ns)
	f := requireFinding(t, rep, diagnose.IDLeakedNetns)
	if f.Severity != v1alpha1.SeverityWarning {
		t.Errorf("%s severity %s, want %s", f.ID, f.Severity, v1alpha1.SeverityWarning)
	}
	mentions(t, f, lab.Node2.Name, "1 leaked network namespace")
	evidenceHas(t, f, ip+"/", leak.HostVeth, fmt.Sprintf("pid %d", leak.PID), "parent 1")
	for _, other := range rep.Findings {
		if other.ID == diagnose.IDPodIPConflict {
			t.Errorf("%s on an address no pod has: %s", other.ID, other.Summary)
		}
	}
}

// Issue #4, the generic drop: a blackhole route for the web pod's IP on node
// 2. The SYNs from node 1's client cross the overlay, are decapsulated on
// node 2's flannel.1 and never reach cni0, while ip_forward is 1 and no
// firewall rule counts them: no specific rule explains it, so the finding
// names the gap the trace saw them die in. The echoes die there too: one
// finding, both traces.
func TestNodeFaultTraceDroppedAtHop(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "tracedrop")
	faults.BlackholeRoute(t, lab.Node2.NetnsPath(), x.web.Status.PodIP+"/32")

	rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--mode", "node")
	f := requireFinding(t, rep, diagnose.IDTraceDroppedAtHop)
	mentions(t, f, lab.Node2.Name, x.web.Status.PodIP)
	hopNames(t, f, lab.Node2.Name, "flannel.1", "cni0")
	evidenceHas(t, f, "net.ipv4.ip_forward=1")
	sameDeath(t, rep, f, x)
	for _, other := range rep.Findings {
		switch other.ID {
		case diagnose.IDIPForwardDisabled, diagnose.IDNodeFirewallDrop, diagnose.IDNodeFirewallReject:
			t.Errorf("%s with only a blackhole route: %s", other.ID, other.Summary)
		}
	}
}

// freePodIP is an address of cidr that no pod holds, counting down from .250.
func freePodIP(t *testing.T, c *framework.Cluster, cidr *net.IPNet) string {
	t.Helper()
	ctx := framework.Context(t, 10*time.Second)
	base := cidr.IP.To4()
	for last := byte(250); last > 200; last-- {
		ip := net.IPv4(base[0], base[1], base[2], last).String()
		pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.podIP=" + ip})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 0 {
			return ip
		}
	}
	t.Fatalf("no free address in %s", cidr)
	return ""
}
