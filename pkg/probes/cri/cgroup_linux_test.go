package cri

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
)

// TestFindPIDByCgroupOnRealCgroups builds a container's cgroup the way the
// kubelet's cgroupfs driver does (pids:/kubepods/besteffort/pod<uid>/<id>) in
// the machine's real cgroup v1 pids hierarchy, runs a two-process "container"
// in it, plus a CRI-O conmon decoy in the name=systemd hierarchy, and checks
// the /proc scan finds the container's init and not its child or the decoy.
func TestFindPIDByCgroupOnRealCgroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates cgroups")
	}
	const pidsRoot, systemdRoot = "/sys/fs/cgroup/pids", "/sys/fs/cgroup/systemd"
	for _, d := range []string{pidsRoot, systemdRoot} {
		if _, err := os.Stat(filepath.Join(d, "cgroup.procs")); err != nil {
			t.Skipf("no cgroup v1 hierarchy at %s: %v", d, err)
		}
	}
	id := fmt.Sprintf("%064x", time.Now().UnixNano())
	top := fmt.Sprintf("netcheck-test-%d", os.Getpid())
	ctrCg := filepath.Join(pidsRoot, top, "kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", id)
	conmonCg := filepath.Join(systemdRoot, top, "kubepods.slice/crio-conmon-"+id+".scope")
	for _, cg := range []string{ctrCg, conmonCg} {
		if err := os.MkdirAll(cg, 0o755); err != nil {
			t.Skipf("cannot create cgroup %s: %v", cg, err)
		}
	}
	t.Cleanup(func() {
		for _, root := range []string{pidsRoot, systemdRoot} {
			critest.RemoveTree(filepath.Join(root, top))
		}
	})

	// The container: sh waits until it is in the cgroup, then forks a sleep
	// (which inherits the cgroup), as a runtime's init would fork workers.
	gate := filepath.Join(t.TempDir(), "go")
	ctr := start(t, "sh", "-c", "while [ ! -e "+gate+" ]; do sleep 0.02; done; sleep 300 & wait")
	conmon := start(t, "sleep", "300")
	join(t, ctrCg, ctr)
	join(t, conmonCg, conmon)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(procsIn(t, ctrCg)) == 2 })

	pid, err := FindPIDByCgroup("/proc", "containerd://"+id)
	if err != nil || pid != ctr {
		t.Fatalf("FindPIDByCgroup = %d, %v; want the container's init %d (cgroup has %v, conmon decoy %d)",
			pid, err, ctr, procsIn(t, ctrCg), conmon)
	}
}

func start(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL) // its process group: the sh and its sleep
		_ = cmd.Wait()
	})
	return pid
}

func join(t *testing.T, cg string, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatalf("move %d into %s: %v", pid, cg, err)
	}
}

func procsIn(t *testing.T, cg string) []string {
	data, err := os.ReadFile(filepath.Join(cg, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
