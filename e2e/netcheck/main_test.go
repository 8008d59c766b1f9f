//go:build e2e

// Package netcheck holds the acceptance tests of issue #3: the real
// `kubectl-netcheck SOURCE --to TARGET` binary in pod mode against the lab's
// two-node cluster, each fault injected for real (iptables in a pod's or a
// node's netns, an MTU on node 2's bridge, a CoreDNS replica's port 53
// dropped) and undone at cleanup. Every test asserts the exit code and the
// finding ID from the -o json report, plus the facts a human would check.
//
//	make build && go test -tags e2e -count=1 ./e2e/netcheck/
//
// Tests run one after the other: several faults are node-wide (node 2's cni0
// MTU, a CoreDNS replica) and would leak into a parallel test.
package netcheck

import (
	"fmt"
	"os"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

func TestMain(m *testing.M) { os.Exit(framework.Main(m, repairNodeWideLeftovers)) }

// repairNodeWideLeftovers undoes the machine-wide faults a killed earlier run
// left in place (a lowered nf_conntrack_max would starve every later test),
// before any test starts.
func repairNodeWideLeftovers(*framework.Cluster) error {
	done, err := faults.RepairConntrackLeftovers(lab.Node2.NetnsPath())
	for _, d := range done {
		fmt.Fprintln(os.Stderr, "e2e: repair:", d)
	}
	if err != nil {
		return fmt.Errorf("repair conntrack leftovers: %w", err)
	}
	return nil
}
