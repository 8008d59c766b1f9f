//go:build e2e

package faults_test

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

// Node 2's conntrack table full: node 2 holds exactly nf_conntrack_max
// entries, new connections to its pods are dropped (its drop counter climbs)
// while the host keeps room; the undo restores the max, deletes the dummies
// and the NOTRACK rules, and the pod answers again.
func TestConntrackTableFullOnNode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "ctfull", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	addr := httpAddr(pod)
	node2 := lab.Node2.NetnsPath()
	mustAnswer(t, "", addr)
	origMax, err := faults.HostConntrackMax()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("table full on node 2", func(t *testing.T) {
		fill := faults.ConntrackTableFull(t, node2)
		if fill.OriginalMax != origMax || fill.Max >= origMax || fill.Added == 0 {
			t.Fatalf("fill %+v, original max %d", fill, origMax)
		}
		if got, err := faults.HostConntrackMax(); err != nil || got != fill.Max {
			t.Fatalf("nf_conntrack_max = %d (%v), want %d", got, err, fill.Max)
		}
		if n, err := faults.ConntrackCount(node2); err != nil || n < fill.Max-5 {
			t.Fatalf("node 2 holds %d entries (%v), want its table full at %d", n, err, fill.Max)
		}
		if n, err := faults.ConntrackCount(lab.Node1.NetnsPath()); err != nil || n >= fill.Max-1000 {
			t.Fatalf("host holds %d entries (%v) of %d: it must keep room", n, err, fill.Max)
		}
		drops, err := faults.ConntrackDrops(node2)
		if err != nil {
			t.Fatal(err)
		}
		mustNotAnswer(t, "", addr)
		after, err := faults.ConntrackDrops(node2)
		if err != nil || after <= drops {
			t.Errorf("node 2's conntrack drop counter %d -> %d (%v): want the refused connection counted", drops, after, err)
		}
	})

	if got, err := faults.HostConntrackMax(); err != nil || got != origMax {
		t.Errorf("nf_conntrack_max = %d (%v) after cleanup, want %d", got, err, origMax)
	}
	if left, err := faults.ConntrackResidue(node2); err != nil || len(left) > 0 {
		t.Errorf("left on node 2 after cleanup: %v (%v)", left, err)
	}
	mustAnswer(t, "", addr)
}
