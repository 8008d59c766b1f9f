package nsscan

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// orphan is a fake containerd shim re-parented to PID 1 and the pause process
// it still runs in a network namespace of its own.
type orphan struct {
	ShimPID, PausePID int
	NS                *netns.NetNS
}

// startOrphanShim re-executes the test binary as "containerd-shim-runc-v2
// -namespace k8s.io -id sandboxID" through a launcher that exits at once, so the
// shim ends up with PPID 1 exactly like a shim whose pod was force-removed.
func startOrphanShim(t *testing.T, sandboxID string) orphan {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shim, pause := filepath.Join(dir, "containerd-shim-runc-v2"), filepath.Join(dir, "pause")
	for _, link := range []string{shim, pause} {
		// comm comes from the executed file name: "containerd-shim" and "pause".
		if err := os.Symlink(exe, link); err != nil {
			t.Fatal(err)
		}
	}
	pidfile := filepath.Join(dir, "pids")
	launcher := exec.Command(exe)
	launcher.Env = append(os.Environ(), roleEnv+"=launcher", shimEnv+"="+shim, pauseEnv+"="+pause,
		pidfileEnv+"="+pidfile, ownerEnv+"="+fmt.Sprint(os.Getpid()), sandboxEnv+"="+sandboxID)
	if out, err := launcher.CombinedOutput(); err != nil {
		t.Fatalf("launcher: %v: %s", err, out)
	}

	var o orphan
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(pidfile)
		if err == nil {
			if _, err := fmt.Sscan(string(data), &o.ShimPID, &o.PausePID); err != nil {
				t.Fatalf("pidfile %q: %v", data, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the orphan shim did not report its PIDs within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		// Both were started by this test; SIGTERM lets the shim reap its pause.
		_ = unix.Kill(o.ShimPID, unix.SIGTERM)
		_ = unix.Kill(o.PausePID, unix.SIGKILL)
	})

	// The launcher has exited, so the shim's parent must be PID 1 by now.
	for {
		p, err := netns.ReadProcess("/proc", o.ShimPID)
		if err != nil {
			t.Fatalf("orphan shim: %v", err)
		}
		if p.PPID == 1 && strings.HasPrefix(p.Comm, "containerd-shim") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shim %d has parent %d (comm %q); want PID 1 (is a child subreaper in the way?)", o.ShimPID, p.PPID, p.Comm)
		}
		time.Sleep(20 * time.Millisecond)
	}
	o.NS, err = netns.OpenPID("/proc", o.PausePID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.NS.Close() })
	return o
}
