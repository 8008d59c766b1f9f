//go:build e2e

// Package lifecycle tests the lab harness itself. Its one test tears the shared
// cluster down, so it only runs when asked: NETCHECK_E2E_DOWN=1.
package lifecycle

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// `down` leaves nothing behind: no processes, mounts, namespaces, links,
// addresses, routes, iptables chains, nft tables, conntrack entries, cgroups,
// state folders or host files, and every host sysctl has its value from before
// the first `up` (lab.VerifyClean lists each check). Then the cluster comes
// back up, so the suite can go on.
func TestDownLeavesNothingBehind(t *testing.T) {
	if os.Getenv("NETCHECK_E2E_DOWN") != "1" {
		t.Skip("tears the shared cluster down and up again; set NETCHECK_E2E_DOWN=1 to run")
	}
	l, err := lab.New()
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := l.Lock("e2e") // no other e2e package may use the cluster meanwhile
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	if err := l.Down(ctx, t.Logf); err != nil {
		t.Errorf("down: %v", err)
	}
	for _, left := range l.VerifyClean(ctx) {
		t.Errorf("left behind: %s", left)
	}
	if err := l.Up(ctx, t.Logf); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
