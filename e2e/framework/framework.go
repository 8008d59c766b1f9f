// Package framework is what e2e tests build on: the lab cluster's clientset,
// kubeconfig and kubectl, the real kubectl-netcheck binary, per-test namespaces,
// pods of the echo workload, bounded waits (pod Ready, Service programmed by
// kube-proxy on every node) and host-side access to a pod's PID and network
// namespace. See e2e/README.md.
//
// Every e2e test package starts with
//
//	func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
package framework

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is the running lab cluster as tests see it.
type Cluster struct {
	Lab *lab.Lab
	// Kubeconfig is the cluster-admin kubeconfig path.
	Kubeconfig string
	// KubectlPath is the lab's kubectl v1.33 (not the machine's /usr/bin/kubectl).
	KubectlPath string
	// NetcheckPath is the plugin binary `make build` writes to bin/.
	NetcheckPath string
	Config       *rest.Config
	Client       kubernetes.Interface
}

var (
	current   *Cluster
	currentMu sync.Mutex
)

// Main is TestMain for e2e packages. It takes the lab's e2e lock (test binaries
// of different packages share one cluster and some inject cluster-wide faults,
// so they run one at a time even under `go test ./e2e/...`), checks that the
// cluster answers, rebuilds and imports the tree's probe and echo images
// (skip with NETCHECK_E2E_SKIP_IMPORT=1), runs each of before (repairs of
// what a killed earlier binary left behind: they need the lock, since another
// package's binary may hold a fault on purpose), then runs the tests.
func Main(m *testing.M, before ...func(*Cluster) error) int {
	l, err := lab.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	unlock, err := l.Lock("e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer unlock()

	c, err := connect(l)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the lab cluster is not up (%v); run `make cluster-up` first\n", err)
		return 1
	}
	if os.Getenv("NETCHECK_E2E_SKIP_IMPORT") == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		err := l.ImportImages(ctx, func(f string, a ...any) { fmt.Fprintf(os.Stderr, "e2e: "+f+"\n", a...) })
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: import images:", err)
			return 1
		}
	}
	for _, fn := range before {
		if err := fn(c); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	currentMu.Lock()
	current = c
	currentMu.Unlock()
	return m.Run()
}

func connect(l *lab.Lab) (*Cluster, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		return nil, err
	}
	return &Cluster{
		Lab:          l,
		Kubeconfig:   l.Kubeconfig(),
		KubectlPath:  l.Kubectl(),
		NetcheckPath: l.Repo + "/bin/kubectl-netcheck",
		Config:       cfg,
		Client:       cs,
	}, nil
}

// Get returns the cluster; it fails the test when Main did not run.
func Get(t testing.TB) *Cluster {
	t.Helper()
	currentMu.Lock()
	defer currentMu.Unlock()
	if current == nil {
		t.Fatal("framework.Main did not run: add `func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }`")
	}
	return current
}

// Context returns a context that ends with the test or after d, whichever is first.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
