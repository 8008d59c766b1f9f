package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Down stops everything the lab started, by PID, and removes what it created:
// pods (through the CRI, so CNI releases them), daemons, leftover processes,
// mounts, the node namespace, links and routes, iptables chains, the nft guard,
// conntrack entries, cgroups and per-run state; host sysctls get their original
// values back. It carries on past failures and reports them all at the end.
// Cached binaries, images and the PKI stay.
func (l *Lab) Down(ctx context.Context, log func(string, ...any)) error {
	start := time.Now()
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
			log("down: %v", err)
		}
	}

	// Kubelets first, so nothing restarts the pods removed next.
	for _, n := range Nodes {
		note(l.Stop(DaemonName(n, kubeletD), 10*time.Second))
	}
	for _, n := range Nodes {
		if _, ok := l.Running(DaemonName(n, containerdD)); ok {
			note(l.removeAllPods(ctx, n))
		}
	}
	for _, n := range Nodes {
		for _, d := range []string{KubeProxyD, flanneldD, containerdD} {
			note(l.Stop(DaemonName(n, d), 10*time.Second))
		}
	}
	for _, d := range []string{schedulerName, controllerName, apiserverName, etcdName} {
		note(l.Stop(d, 10*time.Second))
	}
	note(l.killStragglers())
	note(l.unmountAll())
	note(teardownNetwork(ctx))
	note(removeLabIPTables(ctx))
	flushConntrack(ctx)
	for _, n := range Nodes {
		note(removeCgroupRoot(n.CgroupRoot))
	}
	note(l.restoreSysctls())
	note(l.removeHostFiles())
	for _, dir := range []string{"etc", "var", "run"} {
		note(os.RemoveAll(l.path(dir)))
	}
	log("down in %s", time.Since(start).Round(100*time.Millisecond))
	return errors.Join(errs...)
}

// labProcesses lists processes that belong to the lab although no PID file may
// name them: programs run from the lab's bin folder, containerd, shims and etcd
// whose command line names the lab folder, container processes (in the nodes'
// cgroups), anything inside node 2's namespace, and processes the fault library
// recorded (leaked namespaces). A shell that merely mentions the lab folder
// (say `tail -f` of a log) is not one of them.
func (l *Lab) labProcesses() []int {
	self := os.Getpid()
	var node2 uint64
	if st, err := os.Stat(Node2.NetnsPath()); err == nil {
		node2 = st.Sys().(*syscall.Stat_t).Ino
	}
	runtimes := map[string]bool{"containerd": true, "containerd-shim-runc-v2": true, "etcd": true}
	procs, _ := os.ReadDir("/proc")
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self || pid == 1 {
			continue
		}
		dir := filepath.Join("/proc", p.Name())
		exe, _ := os.Readlink(filepath.Join(dir, "exe"))
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		ours := strings.HasPrefix(exe, l.Dir+"/") ||
			(runtimes[filepath.Base(exe)] && strings.Contains(string(cmdline), l.Dir+"/"))
		if !ours && node2 != 0 {
			if st, err := os.Stat(filepath.Join(dir, "ns", "net")); err == nil {
				ours = st.Sys().(*syscall.Stat_t).Ino == node2
			}
		}
		if ours {
			pids = append(pids, pid)
		}
	}
	for _, root := range []string{Node1.CgroupRoot, Node2.CgroupRoot} {
		if dirs, err := cgroupDirs(root); err == nil {
			pids = append(pids, cgroupPIDs(dirs)...)
		}
	}
	return append(pids, l.recordedLeaks()...)
}

func (l *Lab) killStragglers() error {
	var errs []error
	for _, pid := range l.labProcesses() {
		if !alive(pid) {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
			continue
		}
		if !waitGone(pid, 5*time.Second) {
			errs = append(errs, fmt.Errorf("pid %d survived SIGKILL", pid))
		}
	}
	_ = os.RemoveAll(l.leakDir())
	return errors.Join(errs...)
}

// leakDir holds one file per process the fault library leaked on purpose.
func (l *Lab) leakDir() string { return l.path("run", "leaks") }

// RecordLeak notes a deliberately leaked process so down can end it even when
// the test that made it crashed before its cleanup.
func (l *Lab) RecordLeak(pid int) error {
	if err := os.MkdirAll(l.leakDir(), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.leakDir(), strconv.Itoa(pid)), nil, 0o644)
}

// ForgetLeak drops a record once the test has cleaned up itself.
func (l *Lab) ForgetLeak(pid int) { _ = os.Remove(filepath.Join(l.leakDir(), strconv.Itoa(pid))) }

func (l *Lab) recordedLeaks() []int {
	entries, _ := os.ReadDir(l.leakDir())
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// labMounts lists mount points the lab owns: anything under the lab folder
// (kubelet volumes, container rootfs, sandbox shm) and pod network namespaces
// the CRI failed to release.
func (l *Lab) labMounts() ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		if strings.HasPrefix(mp, l.Dir+"/") || strings.HasPrefix(mp, "/run/netns/cni-") || mp == Node1.NetnsPath() || mp == Node2.NetnsPath() {
			out = append(out, mp)
		}
	}
	// Deepest first, so parents unmount after their children.
	sort.Slice(out, func(i, j int) bool { return strings.Count(out[i], "/") > strings.Count(out[j], "/") })
	return out, nil
}

func (l *Lab) unmountAll() error {
	mounts, err := l.labMounts()
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mounts {
		if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
		}
		if strings.HasPrefix(mp, "/run/netns/") {
			_ = os.Remove(mp)
		}
	}
	return errors.Join(errs...)
}

// flushConntrack drops connection-tracking entries of lab addresses; established
// TCP entries would otherwise linger for days.
func flushConntrack(ctx context.Context) {
	for _, f := range [][]string{{"-s", PodCIDR}, {"-d", PodCIDR}, {"-d", ServiceCIDR}, {"-d", APIServerIP}, {"-s", APIServerIP}, {"-s", Node2IP}, {"-d", Node2IP}} {
		// conntrack exits non-zero when nothing matched; that is fine.
		_, _ = run(ctx, "conntrack", append([]string{"-D"}, f...)...)
	}
}

// removeHostFiles removes what the kubelet and CNI write outside the lab folder:
// /var/log/containers symlinks into it, and libcni's result cache.
func (l *Lab) removeHostFiles() error {
	var errs []error
	links, _ := filepath.Glob("/var/log/containers/*")
	for _, link := range links {
		if target, err := os.Readlink(link); err == nil && strings.HasPrefix(target, l.Dir+"/") {
			errs = append(errs, os.Remove(link))
		}
	}
	cached, _ := filepath.Glob("/var/lib/cni/results/" + networkName + "-*")
	for _, f := range cached {
		errs = append(errs, os.Remove(f))
	}
	return errors.Join(errs...)
}
