package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemon is one long-running process of the cluster.
type Daemon struct {
	// Name is unique in the lab: "etcd", "netcheck-node2/kubelet".
	Name string
	Bin  string
	Args []string
	Env  []string
	// Netns, when set, is the node namespace the daemon runs in. It is entered
	// with `nsenter --net=` only: `ip netns exec` would also give the daemon a
	// private mount namespace, and containerd must see the kubelet's mounts.
	Netns string
}

// Start launches d detached (own session, output to its log file) unless it
// already runs, and records its PID. It returns the PID.
func (l *Lab) Start(d Daemon) (int, error) {
	if pid, ok := l.Running(d.Name); ok {
		return pid, nil
	}
	for _, dir := range []string{filepath.Dir(l.PIDFile(d.Name)), l.LogDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, fmt.Errorf("start %s: %w", d.Name, err)
		}
	}
	logf, err := os.OpenFile(l.LogFile(d.Name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("start %s: open log: %w", d.Name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== %s start: %s %s\n", time.Now().Format(time.RFC3339), d.Bin, strings.Join(d.Args, " "))

	bin, args := d.Bin, d.Args
	if d.Netns != "" {
		// nsenter execs the daemon, so the PID we record is the daemon's own.
		bin, args = "nsenter", append([]string{"--net=/run/netns/" + d.Netns, "--", d.Bin}, d.Args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), d.Env...)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own: the daemon outlives the harness and never gets the
	// terminal's SIGINT/SIGHUP meant for `go run`.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", d.Name, err)
	}
	pid := cmd.Process.Pid
	// Reap it if it dies while we still run, so a crash shows as "not running"
	// rather than as a zombie that looks alive.
	go func() { _ = cmd.Wait() }()
	record := fmt.Sprintf("%d\n%s\n", pid, d.Bin)
	if err := os.WriteFile(l.PIDFile(d.Name), []byte(record), 0o644); err != nil {
		return pid, fmt.Errorf("start %s: record pid: %w", d.Name, err)
	}
	return pid, nil
}

// Running reports the PID of the named daemon if it is alive and still the
// program we started (a recycled PID does not count).
func (l *Lab) Running(name string) (int, bool) {
	data, err := os.ReadFile(l.PIDFile(name))
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return 0, false
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || !alive(pid) {
		return 0, false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return 0, false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	// Right after Start the process may still be nsenter, about to exec.
	if exe != fields[1] && filepath.Base(exe) != "nsenter" {
		return 0, false
	}
	return pid, true
}

// alive is true for an existing process that is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may contain spaces.
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// Stop ends the named daemon: SIGTERM, then SIGKILL after grace. Stopping a
// daemon that does not run is not an error.
func (l *Lab) Stop(name string, grace time.Duration) error {
	pid, ok := l.Running(name)
	if ok {
		if err := terminate(pid, grace); err != nil {
			return fmt.Errorf("stop %s: %w", name, err)
		}
	}
	if err := os.Remove(l.PIDFile(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	return nil
}

// terminate sends SIGTERM, waits up to grace, then SIGKILLs and waits again.
func terminate(pid int, grace time.Duration) error {
	// A stopped process (a fault test's SIGSTOP) would never act on SIGTERM.
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM %d: %w", pid, err)
	}
	if waitGone(pid, grace) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGKILL %d: %w", pid, err)
	}
	if !waitGone(pid, 10*time.Second) {
		return fmt.Errorf("pid %d survived SIGKILL", pid)
	}
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(pid) {
			return true
		}
	}
	return !alive(pid)
}

// LogTail returns the last lines of a daemon's log, for error messages.
func (l *Lab) LogTail(name string, lines int) string {
	data, err := os.ReadFile(l.LogFile(name))
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// waitFor polls check until it returns nil, ctx ends or timeout passes. If the
// daemon named dies meanwhile it fails at once with the daemon's log tail.
func (l *Lab) waitFor(ctx context.Context, what, daemon string, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = check(ctx); last == nil {
			return nil
		}
		if daemon != "" {
			if _, ok := l.Running(daemon); !ok {
				return fmt.Errorf("%s: %s exited; last log lines:\n%s", what, daemon, l.LogTail(daemon, 15))
			}
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("%s: not ready after %s: %v", what, timeout, last)
			if daemon != "" {
				msg += "\nlast log lines of " + daemon + ":\n" + l.LogTail(daemon, 15)
			}
			return errors.New(msg)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
