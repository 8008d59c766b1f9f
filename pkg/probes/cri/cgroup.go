package cri

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// ErrNotFound means no process of the container was found.
var ErrNotFound = errors.New("no process of the container found")

// NormalizeContainerID strips the runtime scheme Kubernetes puts in
// containerStatuses[].containerID ("containerd://", "cri-o://", "docker://") and
// checks what remains is a full 64-hex ID: a short prefix would make the cgroup
// fallback match other containers.
func NormalizeContainerID(id string) (string, error) {
	if i := strings.Index(id, "://"); i >= 0 {
		id = id[i+3:]
	}
	if !isContainerID(id) {
		return "", fmt.Errorf("container ID %q is not 64 lowercase hex digits", id)
	}
	return id, nil
}

func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ContainerIDFromCgroup returns the container ID a /proc/PID/cgroup file places
// the process in, or "" for processes outside containers. It understands
//
//	cgroup v2:  0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope
//	cgroup v1:  one line per hierarchy, e.g. 4:pids:/kubepods/burstable/pod<uid>/<id>
//	CRI-O:      crio-<id>.scope (and crio-<id>.scope/container), but NOT crio-conmon-<id>.scope, the monitor
//	cgroupns:   0::/../../kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope (relative to a private cgroup namespace)
//
// Path segments are searched for a 64-hex run, so unknown prefixes (docker-,
// libpod-) and relative paths work too.
func ContainerIDFromCgroup(cgroupFile string) string {
	// The innermost segment naming a container wins: in
	// crio-<id>.scope/container the ID sits one level up.
	return innermostMatch(cgroupFile, containerIDInSegment)
}

// innermostMatch applies match to the path segments of every line of a
// /proc/PID/cgroup file ("hierarchy:controllers:path"), innermost segment
// first, and returns the first non-empty answer.
func innermostMatch(cgroupFile string, match func(seg string) string) string {
	for _, line := range strings.Split(cgroupFile, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		segs := strings.Split(parts[2], "/")
		for i := len(segs) - 1; i >= 0; i-- {
			if v := match(segs[i]); v != "" {
				return v
			}
		}
	}
	return ""
}

func containerIDInSegment(seg string) string {
	if strings.HasPrefix(seg, "crio-conmon-") {
		return ""
	}
	for i := 0; i+64 <= len(seg); i++ {
		if !isHex(seg[i]) {
			continue
		}
		j := i
		for j < len(seg) && isHex(seg[j]) {
			j++
		}
		if j-i == 64 {
			return seg[i:j]
		}
		i = j
	}
	return ""
}

func isHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

// FindPIDByCgroup is the fallback when the runtime socket is out of reach: it
// scans procRoot/*/cgroup for processes of container id and returns the
// container's init, the matching process whose parent is not in the container.
func FindPIDByCgroup(procRoot, id string) (int, error) {
	matches, err := ContainerPIDs(procRoot, id)
	if err != nil {
		return 0, err
	}
	return containerInit(procRoot, matches, id)
}

// containerInit picks the process whose parent is outside the container (the
// shim's child); the lowest such PID if several (it cannot tell otherwise).
func containerInit(procRoot string, matches []int, id string) (int, error) {
	if len(matches) == 0 {
		return 0, fmt.Errorf("container %.12s in %s/*/cgroup: %w", id, procRoot, ErrNotFound)
	}
	in := map[int]bool{}
	for _, pid := range matches {
		in[pid] = true
	}
	sort.Ints(matches)
	for _, pid := range matches {
		p, err := netns.ReadProcess(procRoot, pid)
		if err == nil && !in[p.PPID] {
			return pid, nil
		}
	}
	return matches[0], nil
}
