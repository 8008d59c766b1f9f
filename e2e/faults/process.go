package faults

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// Freeze stops a process with SIGSTOP (it keeps its sockets but answers
// nothing, like a wedged daemon) and resumes it with SIGCONT at cleanup.
func Freeze(t testing.TB, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("faults: SIGSTOP %d: %v", pid, err)
	}
	// The signal is delivered asynchronously; return only once it took hold,
	// so the caller's next probe really meets a stopped process.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, err := ProcessState(pid); err != nil || s == "T" || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("faults: SIGSTOP pid %d", pid)
	t.Cleanup(func() {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Errorf("faults: SIGCONT %d: %v", pid, err)
		}
	})
}

// ProcessState is the one-letter state of /proc/<pid>/stat ("S", "T", ...).
func ProcessState(pid int) (string, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return "", fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return string(stat[i+2]), nil
}

// ProcessAlive reports whether pid exists and is not a zombie.
func ProcessAlive(pid int) bool {
	s, err := ProcessState(pid)
	return err == nil && s != "Z" && s != "X"
}
