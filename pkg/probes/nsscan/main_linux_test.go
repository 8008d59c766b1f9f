package nsscan

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the processes of the incident fixture: re-executed
// with roleEnv set it becomes a launcher (exits at once, so its child is
// re-parented to PID 1), a containerd shim, or a pause process in a namespace of
// its own.
const (
	roleEnv    = "NSSCAN_TEST_ROLE"
	shimEnv    = "NSSCAN_TEST_SHIM"
	pauseEnv   = "NSSCAN_TEST_PAUSE"
	pidfileEnv = "NSSCAN_TEST_PIDFILE"
	ownerEnv   = "NSSCAN_TEST_OWNER"
	sandboxEnv = "NSSCAN_TEST_SANDBOX"
)

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "":
		os.Exit(m.Run())
	case "launcher":
		os.Exit(runLauncher())
	case "shim":
		os.Exit(runShim())
	case "pause":
		for {
			time.Sleep(time.Hour)
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown %s %q\n", roleEnv, os.Getenv(roleEnv))
		os.Exit(2)
	}
}

// runLauncher starts the shim in its own session and exits without waiting:
// the shim is re-parented to PID 1, as containerd's shims are.
func runLauncher() int {
	cmd := exec.Command(os.Getenv(shimEnv), "-namespace", "k8s.io", "-id", os.Getenv(sandboxEnv),
		"-address", "/run/containerd/containerd.sock")
	cmd.Env = append(os.Environ(), roleEnv+"=shim")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start shim:", err)
		return 1
	}
	return 0
}

// runShim starts a pause process in a new network namespace, reports both PIDs,
// and lives until told to stop or until the test process is gone, so a crashed
// test leaves nothing behind.
func runShim() int {
	pause := exec.Command(os.Getenv(pauseEnv))
	pause.Env = append(os.Environ(), roleEnv+"=pause")
	pause.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := pause.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start pause:", err)
		return 1
	}
	stop := func() int {
		_ = pause.Process.Kill()
		_ = pause.Wait()
		return 0
	}
	pidfile := os.Getenv(pidfileEnv)
	data := fmt.Sprintf("%d %d\n", os.Getpid(), pause.Process.Pid)
	if err := os.WriteFile(pidfile+".tmp", []byte(data), 0o644); err != nil {
		return stop()
	}
	if err := os.Rename(pidfile+".tmp", pidfile); err != nil {
		return stop()
	}
	owner, _ := strconv.Atoi(os.Getenv(ownerEnv))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(200 * time.Millisecond)
	for {
		select {
		case <-sig:
			return stop()
		case <-tick.C:
			if unix.Kill(owner, 0) == unix.ESRCH {
				return stop()
			}
		}
	}
}
