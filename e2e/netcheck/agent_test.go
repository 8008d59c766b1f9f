//go:build e2e

package netcheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue #3: ephemeral containers can never be removed, so a second run on the
// same pod must reuse the running agent instead of adding another.
func TestSecondRunReusesAgent(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "reuse", nil)
	pods := createReady(t, c, ns, framework.EchoPod("srv", lab.Node2.Name), framework.EchoPod("client", lab.Node1.Name, "-idle"))
	ctx := framework.Context(t, 3*time.Minute)

	first := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "-n", ns, "client", "--to", "pod/srv")
	agents := agentsIn(t, c, ns, "client")
	if len(agents) != 1 {
		t.Fatalf("after the first run: agents %v, want one", agents)
	}
	if strings.Contains(first.ModeReason, "reused") {
		t.Errorf("first run on a fresh pod says %q", first.ModeReason)
	}

	res := c.Netcheck(t, ctx, "-n", ns, "client", "--to", "pod/srv")
	if res.ExitCode != v1alpha1.ExitOK {
		t.Fatalf("second run: exit %d", res.ExitCode)
	}
	if !strings.Contains(res.Stderr, "reusing agent "+agents[0]) {
		t.Errorf("second run does not say it reuses %s:\n%s", agents[0], res.Stderr)
	}
	if again := agentsIn(t, c, ns, "client"); len(again) != 1 || again[0] != agents[0] {
		t.Errorf("after the second run: agents %v, want only %v", again, agents)
	}
	if n := len(agentsIn(t, c, ns, pods[0].Name)); n != 0 {
		t.Errorf("a healthy target got %d agents", n)
	}
}

// Issue #3: Ctrl-C during a long run ends it promptly with one clear line, and
// the next run on the same pod works.
func TestInterruptedRun(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "interrupt", nil)
	createReady(t, c, ns, framework.EchoPod("srv", lab.Node2.Name), framework.EchoPod("client", lab.Node1.Name, "-idle"))

	// An unused ClusterIP: the lab routes it into a port-less bridge, so each of
	// the 1000 connects times out (1 s, 5 at a time): a 200 s run.
	cmd := netcheckCmd(c, "-n", ns, "client", "--to", "10.96.255.254:80", "--count", "1000")
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// If the test fails before the process ends, kill it (by its own PID);
	// the goroutine above reaps it. Harmless once it has exited.
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The agent is running and the TCP check has started.
	if !waitFor(done, time.Minute, func() bool {
		s := stderr.String()
		return strings.Contains(s, "agent ready in pod "+ns+"/client") && strings.Contains(s, "tcp 10.96.255.254:80")
	}) {
		t.Fatalf("the run never got to its checks:\n%s", stderr.String())
	}
	interrupt(t, cmd, done, stderr, 15*time.Second)

	res := c.Netcheck(t, framework.Context(t, 2*time.Minute), "-n", ns, "client", "--to", "pod/srv")
	if res.ExitCode != v1alpha1.ExitOK {
		t.Errorf("the run after the interrupted one: exit %d", res.ExitCode)
	}
	if agents := agentsIn(t, c, ns, "client"); len(agents) != 1 {
		t.Errorf("agents %v after an interrupted and a normal run, want one", agents)
	}
}

// netcheckCmd is the real binary set up as framework.Cluster.Netcheck runs it,
// for tests that must signal it or keep it quiet.
func netcheckCmd(c *framework.Cluster, args ...string) *exec.Cmd {
	cmd := exec.Command(c.NetcheckPath, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig,
		"PATH="+filepath.Dir(c.KubectlPath)+":"+filepath.Dir(c.NetcheckPath)+":"+os.Getenv("PATH"))
	return cmd
}

// agentsIn lists the netcheck agents (ephemeral containers) of a pod.
func agentsIn(t *testing.T, c *framework.Cluster, ns, pod string) []string {
	t.Helper()
	p, err := c.Client.CoreV1().Pods(ns).Get(framework.Context(t, 10*time.Second), pod, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ec := range p.Spec.EphemeralContainers {
		if strings.HasPrefix(ec.Name, launch.AgentPrefix) {
			out = append(out, ec.Name)
		}
	}
	return out
}

// waitFor polls cond until it holds, the process ends (done), or d passes.
// interrupt sends SIGINT to a running netcheck and checks it stops within
// grace with exit 3 and one "interrupted" error line.
func interrupt(t *testing.T, cmd *exec.Cmd, done <-chan error, stderr fmt.Stringer, grace time.Duration) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	select {
	case <-done:
	case <-time.After(grace):
		t.Fatalf("still running %s after SIGINT:\n%s", grace, stderr.String())
	}
	t.Logf("exited %s after SIGINT with %d\nstderr:\n%s", time.Since(sent).Round(time.Millisecond), cmd.ProcessState.ExitCode(), stderr.String())
	if code := cmd.ProcessState.ExitCode(); code != v1alpha1.ExitCouldNotRun {
		t.Errorf("exit code %d after SIGINT, want %d", code, v1alpha1.ExitCouldNotRun)
	}
	containsAll(t, "error line", errorLine(t, stderr.String()), "interrupted")
}

func waitFor(done chan error, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		select {
		case err := <-done:
			done <- err // leave it for the caller
			return cond()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return false
}

// lockedBuffer is a bytes.Buffer the process writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
