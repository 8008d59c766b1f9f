// Command demo shows kubectl netcheck finding a real fault on the lab cluster:
// the "refused 1 time in 4" incident of issue #3. It builds bin/kubectl-netcheck,
// sets up Service web with one echo backend per node and a client pod in
// namespace netcheck-demo, makes one backend REJECT a quarter of new
// connections with an iptables rule in that pod's network namespace, runs
//
//	kubectl netcheck -n netcheck-demo client --to svc/web
//
// with its output on the terminal, then removes the rule and the namespace
// (also on Ctrl-C). It exits 0 when netcheck exited 1 naming the injected
// fault, 1 when it did not, 2 when the demo could not run, 130 on Ctrl-C.
//
//	make demo        # cluster-up, then go run ./e2e/demo
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Exit codes of the demo.
const (
	exitFound       = 0
	exitNotFound    = 1
	exitCouldNotRun = 2
	exitInterrupted = 130
)

func main() { os.Exit(run()) }

func run() (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tb := &demoTB{}
	// Deferred first, so it runs last: whatever happened, undo the fault and
	// delete the namespace. After Ctrl-C they run with a fresh context.
	defer func() {
		fmt.Println("\n--- cleaning up")
		tb.runCleanups()
		if tb.Failed() && code == exitFound {
			code = exitCouldNotRun
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatal); !ok {
				panic(r)
			}
			code = exitCouldNotRun
		}
		if ctx.Err() != nil {
			fmt.Println("demo: interrupted")
			code = exitInterrupted
		}
	}()

	c, err := connect(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return exitCouldNotRun
	}
	// The e2e suite injects cluster-wide faults (node 2's bridge MTU, a CoreDNS
	// replica): take the same lock it takes, so the two never overlap.
	fmt.Println("--- taking the lab's e2e lock (waits while an e2e suite runs)")
	unlock, err := c.Lab.Lock("e2e")
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return exitCouldNotRun
	}
	defer unlock()

	fmt.Printf("--- setting up namespace %s: Service web -> web-1 (%s), web-2 (%s); pod client (%s)\n",
		namespace, lab.Node1.Name, lab.Node2.Name, lab.Node1.Name)
	s, err := setUp(ctx, tb, c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: set up: %v\n", err)
		return exitCouldNotRun
	}

	netnsPath, err := framework.PodNetnsPath(s.web2)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return exitCouldNotRun
	}
	fmt.Printf("--- injecting the fault: backend web-2 (%s, %s) refuses 1 new connection in 4\n", s.web2.Status.PodIP, s.web2.Spec.NodeName)
	// --syn: only new connections; tcp-reset: answered with an RST, exactly
	// what a client reports as "connection refused".
	faults.IPTablesRule(tb, netnsPath, "filter", "INPUT", "-p", "tcp", "--dport", "8080", "--syn",
		"-m", "statistic", "--mode", "random", "--probability", "0.25", "-j", "REJECT", "--reject-with", "tcp-reset")
	tb.Cleanup(func() { fmt.Println("undoing the fault: deleting the REJECT rule in web-2's network namespace") })

	if ctx.Err() != nil {
		return exitInterrupted
	}
	// 50 connects per address (the default is 20): a 1-in-4 fault hides from
	// 20 tries one time in 300, from 50 one time in two million.
	args := []string{"netcheck", "-n", namespace, "client", "--to", "svc/web", "--count", "50"}
	fmt.Printf("--- running: kubectl %s\n\n", joinArgs(args))
	res, err := kubectlStreaming(ctx, c, args...)
	if ctx.Err() != nil {
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return exitCouldNotRun
	}
	return verdict(res, s)
}

// connect finds the lab cluster and the plugin binary (built fresh from the tree).
func connect(ctx context.Context) (*framework.Cluster, error) {
	l, err := lab.New()
	if err != nil {
		return nil, err
	}
	fmt.Println("--- building bin/kubectl-netcheck")
	bin, err := buildPlugin(ctx, l.Repo)
	if err != nil {
		return nil, err
	}
	c, err := clusterFor(ctx, l, bin)
	if err != nil {
		return nil, fmt.Errorf("the lab cluster is not up (%v): run `make cluster-up` first", err)
	}
	return c, nil
}

// verdict decides the demo's exit code from netcheck's: exit 1 with the
// intermittent-refusal finding at web-2 is the injected fault, found.
func verdict(res runResult, s *scene) int {
	want := diagnose.IDTCPIntermittentRefused
	found := res.ExitCode == 1 && res.mentions("["+want+"]") && res.mentions("web-2")
	fmt.Println()
	switch {
	case found:
		fmt.Printf("--- netcheck found the injected fault: exit 1, finding %s at backend web-2 (%s)\n", want, s.web2.Spec.NodeName)
		return exitFound
	case res.ExitCode == 3:
		fmt.Printf("--- netcheck could not run (exit 3); see its error above\n")
	default:
		fmt.Printf("--- netcheck did NOT name the injected fault: exit %d, want 1 with finding %s at web-2\n", res.ExitCode, want)
	}
	return exitNotFound
}
