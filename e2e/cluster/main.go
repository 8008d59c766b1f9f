// Command cluster runs the local two-node Kubernetes cluster for the e2e tests
// and the demo (see e2e/README.md). It needs root.
//
//	go run ./e2e/cluster up             build what is missing, start, wait for 2 Ready nodes + CoreDNS
//	go run ./e2e/cluster down           stop everything by PID and remove all it created
//	go run ./e2e/cluster status         daemons, PIDs, RSS, nodes and pods
//	go run ./e2e/cluster env            print `export KUBECONFIG=... PATH=...`
//	go run ./e2e/cluster import-images  rebuild the probe and echo images from the tree, import into both nodes
//	go run ./e2e/cluster verify-clean   after down: list anything left behind, exit 1 if any
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

func main() {
	if len(os.Args) != 2 {
		usage()
	}
	l, err := lab.New()
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "cluster: "+format+"\n", args...) }

	switch os.Args[1] {
	case "up":
		err = l.Up(ctx, log)
	case "down":
		err = downWhenTestsAreDone(ctx, l, log)
	case "status":
		err = l.Status(ctx, os.Stdout)
	case "env":
		fmt.Println(l.Env())
	case "import-images":
		err = l.ImportImages(ctx, log)
	case "verify-clean":
		left := l.VerifyClean(ctx)
		for _, s := range left {
			fmt.Println(s)
		}
		if len(left) > 0 {
			err = fmt.Errorf("%d leftovers", len(left))
		} else {
			fmt.Println("clean: nothing of the lab is left")
		}
	default:
		usage()
	}
	if err != nil {
		fail(err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go run ./e2e/cluster up|down|status|env|import-images|verify-clean")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cluster:", err)
	os.Exit(1)
}

// downWhenTestsAreDone waits for running e2e test binaries (they hold the lab's
// e2e lock) instead of pulling the cluster from under them.
func downWhenTestsAreDone(ctx context.Context, l *lab.Lab, log func(string, ...any)) error {
	unlock, ok, err := l.TryLock("e2e")
	if err != nil {
		return err
	}
	if !ok {
		log("e2e tests are running against the cluster; waiting for them to finish")
		if unlock, err = l.Lock("e2e"); err != nil {
			return err
		}
	}
	defer unlock()
	return l.Down(ctx, log)
}
