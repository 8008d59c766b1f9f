package critest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

var cgroupSeq atomic.Int64

// PodCgroup puts pids into a real cgroup named the way the kubelet's cgroupfs
// driver names a container's: <test root>/kubepods/besteffort/pod<podUID>/<containerID>,
// in the machine's cgroup v1 pids hierarchy (or the v2 unified one), so
// /proc/PID/cgroup names the pod and the container exactly as on a node. It
// skips the test when no hierarchy is writable. Cleanup moves the processes
// back to the root cgroup and removes the tree.
func PodCgroup(t testing.TB, podUID, containerID string, pids ...int) {
	t.Helper()
	root := ""
	for _, r := range []string{"/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(r, "cgroup.procs")); err == nil {
			root = r
			break
		}
	}
	if root == "" {
		t.Skip("no writable cgroup hierarchy with cgroup.procs")
	}
	top := filepath.Join(root, fmt.Sprintf("netcheck-test-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	cg := filepath.Join(top, "kubepods", "besteffort", "pod"+podUID, containerID)
	if err := os.MkdirAll(cg, 0o755); err != nil {
		t.Skipf("cannot create cgroup %s: %v", cg, err)
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			// Back to the root, or the tree cannot be removed while they live.
			_ = os.WriteFile(filepath.Join(root, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
		}
		RemoveTree(top)
	})
	for _, pid := range pids {
		if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatalf("move %d into %s: %v", pid, cg, err)
		}
	}
}

// RemoveTree removes cgroup directories deepest first, retrying while exiting
// processes are still being reaped.
func RemoveTree(top string) {
	for range 50 {
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		if len(dirs) == 0 {
			return
		}
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
