package faults

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

var (
	echoOnce sync.Once
	echoPath string
	echoErr  error
)

// EchoServerBinary builds e2e/echoserver for the host (once per test binary)
// and returns its path, for processes outside pods such as a leaked namespace's
// LeakOptions.Command.
func EchoServerBinary(t testing.TB) string {
	t.Helper()
	echoOnce.Do(func() {
		l, err := lab.New()
		if err != nil {
			echoErr = err
			return
		}
		// Inside the lab folder, not /tmp: down's straggler sweep knows it.
		echoPath = filepath.Join(l.Dir, "bin", "echoserver-host", "echoserver")
		cmd := exec.Command("go", "build", "-o", echoPath, "./e2e/echoserver")
		cmd.Dir = l.Repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			echoErr = errorf("build echo server: %v: %s", err, out)
		}
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	return echoPath
}
