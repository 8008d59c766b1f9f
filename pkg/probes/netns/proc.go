package netns

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// Process is the little of /proc/PID/stat the namespace scan needs.
type Process struct {
	PID  int
	PPID int
	// Comm is the kernel's command name, at most 15 bytes (so the
	// containerd-shim-runc-v2 binary shows as "containerd-shim").
	Comm string
}

// ReadProcess reads /proc/PID/stat. The comm field is in parentheses and may
// itself contain spaces and ")", so fields are counted from the last ")".
func ReadProcess(procRoot string, pid int) (Process, error) {
	var buf [512]byte
	return ReadProcessBuf(procRoot, pid, buf[:])
}

// ReadProcessBuf is ReadProcess with a caller's buffer (512 bytes hold any
// stat line's first fields), for scans that read thousands: it costs three
// syscalls and no allocation beyond the comm string.
func ReadProcessBuf(procRoot string, pid int, buf []byte) (Process, error) {
	n, err := readSmallFile(procRoot+"/"+strconv.Itoa(pid)+"/stat", buf)
	if err != nil {
		return Process{}, fmt.Errorf("read process %d: %w", pid, err)
	}
	return parseStat(pid, buf[:n])
}

func parseStat(pid int, data []byte) (Process, error) {
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return Process{}, fmt.Errorf("parse /proc/%d/stat: no (comm)", pid)
	}
	rest := bytes.Fields(data[closing+1:])
	// rest[0] is the state, rest[1] the ppid.
	if len(rest) < 2 {
		return Process{}, fmt.Errorf("parse /proc/%d/stat: too few fields", pid)
	}
	ppid, err := strconv.Atoi(string(rest[1]))
	if err != nil {
		return Process{}, fmt.Errorf("parse /proc/%d/stat ppid %q: %w", pid, rest[1], err)
	}
	return Process{PID: pid, PPID: ppid, Comm: string(data[open+1 : closing])}, nil
}

// ReadCmdline returns a process's argv (empty for kernel threads and zombies).
func ReadCmdline(procRoot string, pid int) ([]string, error) {
	data, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, fmt.Errorf("read cmdline of process %d: %w", pid, err)
	}
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil, nil
	}
	parts := bytes.Split(data, []byte{0})
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args, nil
}

// ListPIDs returns the numeric entries of procfs: every process (not thread)
// visible in the caller's PID namespace, ascending.
func ListPIDs(procRoot string) ([]int, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", procRoot, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", procRoot, err)
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids, nil
}
