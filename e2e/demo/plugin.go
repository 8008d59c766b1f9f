package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// buildPlugin builds bin/kubectl-netcheck from the tree the way `make build`
// does (a no-op for the Go build cache when nothing changed) and returns its path.
func buildPlugin(ctx context.Context, repo string) (string, error) {
	bin := filepath.Join(repo, "bin", "kubectl-netcheck")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-s -w -X github.com/kubectl-netcheck/kubectl-netcheck/pkg/version.Version=dev",
		"-o", bin, "./cmd/kubectl-netcheck")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build kubectl-netcheck: %w\n%s", err, out)
	}
	return bin, nil
}

// clusterFor connects to the lab cluster the way framework.Main does (the
// framework's own connect is for test binaries) and checks that it answers.
func clusterFor(ctx context.Context, l *lab.Lab, plugin string) (*framework.Cluster, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		return nil, err
	}
	return &framework.Cluster{Lab: l, Kubeconfig: l.Kubeconfig(), KubectlPath: l.Kubectl(),
		NetcheckPath: plugin, Config: cfg, Client: cs}, nil
}

// runResult is what kubectl netcheck printed on stdout and its exit code.
type runResult struct {
	ExitCode int
	Stdout   string
}

func (r runResult) mentions(s string) bool { return strings.Contains(r.Stdout, s) }

// kubectlStreaming runs the lab's kubectl (which finds kubectl-netcheck on
// PATH, as a user's kubectl would) with its output on the terminal, keeping a
// copy of stdout for the verdict. Ctrl-C reaches it from the terminal; when
// ctx ends otherwise it gets SIGINT too, then is killed 10 s later.
func kubectlStreaming(ctx context.Context, c *framework.Cluster, args ...string) (runResult, error) {
	cmd := exec.CommandContext(ctx, c.KubectlPath, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig,
		"PATH="+filepath.Dir(c.NetcheckPath)+":"+filepath.Dir(c.KubectlPath)+":"+os.Getenv("PATH"))
	var stdout bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &stdout)
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	res := runResult{ExitCode: cmd.ProcessState.ExitCode(), Stdout: stdout.String()}
	if _, isExit := err.(*exec.ExitError); isExit || err == nil {
		return res, nil
	}
	return res, fmt.Errorf("run kubectl %s: %w", joinArgs(args), err)
}

func joinArgs(args []string) string { return strings.Join(args, " ") }
