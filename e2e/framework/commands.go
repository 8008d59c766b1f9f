package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Result is the outcome of running a binary.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the process's exit status (-1 if it did not start or was killed).
	ExitCode int
}

func (c *Cluster) env() []string {
	return append(os.Environ(),
		"KUBECONFIG="+c.Kubeconfig,
		// The plugin and anything it runs find the lab's kubectl first.
		"PATH="+filepath.Dir(c.KubectlPath)+":"+filepath.Dir(c.NetcheckPath)+":"+os.Getenv("PATH"))
}

func (c *Cluster) run(ctx context.Context, bin string, stdin string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	// A run that outlives the test's deadline is interrupted as a CI job
	// would be, so it can delete what it created, and killed only if it
	// does not end within WaitDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	cmd.Env = c.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: cmd.ProcessState.ExitCode()}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		err = nil // a non-zero exit is a result, not a failure to run
	}
	return res, err
}

// Kubectl runs the lab's kubectl and returns stdout; a non-zero exit is an
// error carrying stderr.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	return c.KubectlStdin(ctx, "", args...)
}

// KubectlStdin is Kubectl with stdin (e.g. `apply -f -`).
func (c *Cluster) KubectlStdin(ctx context.Context, stdin string, args ...string) (string, error) {
	res, err := c.run(ctx, c.KubectlPath, stdin, args...)
	if err != nil {
		return "", fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	if res.ExitCode != 0 {
		return res.Stdout, fmt.Errorf("kubectl %s: exit %d: %s", strings.Join(args, " "), res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	return res.Stdout, nil
}

// Netcheck runs the real kubectl-netcheck binary against the lab and returns
// what it printed and its exit code. The binary comes from `make build`; the
// test fails with that hint when it is missing.
func (c *Cluster) Netcheck(t testing.TB, ctx context.Context, args ...string) Result {
	t.Helper()
	if _, err := os.Stat(c.NetcheckPath); err != nil {
		t.Fatalf("%s missing: run `make build` first (%v)", c.NetcheckPath, err)
	}
	res, err := c.run(ctx, c.NetcheckPath, "", args...)
	if err != nil {
		t.Fatalf("run kubectl-netcheck %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("kubectl netcheck %s -> exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.ExitCode, res.Stdout, res.Stderr)
	return res
}

// Exec runs a command in a pod's container through `kubectl exec` (the real
// apiserver -> kubelet -> CRI path) and returns stdout.
func (c *Cluster) Exec(ctx context.Context, namespace, pod, container string, command ...string) (string, error) {
	args := []string{"exec", "-n", namespace, pod}
	if container != "" {
		args = append(args, "-c", container)
	}
	return c.Kubectl(ctx, append(append(args, "--"), command...)...)
}
