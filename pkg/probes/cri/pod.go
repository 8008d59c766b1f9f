package cri

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// NormalizePodUID lowercases a pod UID and turns the systemd driver's
// underscores back into dashes; it rejects what is not a pod UID (a UUID, or
// the 32 hex digits of a static pod's config hash).
func NormalizePodUID(uid string) (string, error) {
	u := strings.ToLower(strings.ReplaceAll(uid, "_", "-"))
	if !isPodUID(u) {
		return "", fmt.Errorf("pod UID %q is neither a UUID nor 32 hex digits", uid)
	}
	return u, nil
}

func isPodUID(s string) bool {
	switch len(s) {
	case 32:
		for i := 0; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	case 36:
		for i := 0; i < len(s); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return false
				}
			} else if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// PodUIDFromCgroup returns the UID of the pod a /proc/PID/cgroup file places
// the process in, dashed and lowercase, or "" outside pods. It understands the
// kubelet's two cgroup drivers, on cgroup v1 and v2:
//
//	cgroupfs: /kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/<container>
//	          /kubepods/pod<uid>/<container> (guaranteed pods have no QoS level)
//	systemd:  /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-<id>.scope
//	          kubepods-pod<uid_with_underscores>.slice (guaranteed)
//
// Relative paths (a private cgroup namespace) work too: segments are matched,
// not prefixes.
func PodUIDFromCgroup(cgroupFile string) string {
	return innermostMatch(cgroupFile, podUIDInSegment)
}

func podUIDInSegment(seg string) string {
	var raw string
	switch {
	case strings.HasPrefix(seg, "kubepods") && strings.HasSuffix(seg, ".slice"):
		i := strings.LastIndex(seg, "-pod")
		if i < 0 {
			return ""
		}
		raw = strings.TrimSuffix(seg[i+len("-pod"):], ".slice")
	case strings.HasPrefix(seg, "pod"):
		raw = seg[len("pod"):]
	default:
		return ""
	}
	uid, err := NormalizePodUID(raw)
	if err != nil {
		return ""
	}
	return uid
}

// PodPIDs scans procRoot/*/cgroup for the processes of pod uid, ascending.
// Every one of them shares the pod's network namespace (unless the pod uses
// the host's).
func PodPIDs(procRoot, uid string) ([]int, error) {
	uid, err := NormalizePodUID(uid)
	if err != nil {
		return nil, err
	}
	pids, err := scanCgroups(procRoot, func(cg string) bool { return PodUIDFromCgroup(cg) == uid })
	if err != nil {
		return nil, err
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("pod %s in %s/*/cgroup: %w", uid, procRoot, ErrNotFound)
	}
	return pids, nil
}

// ContainerPIDs scans procRoot/*/cgroup for the processes of container id,
// ascending.
func ContainerPIDs(procRoot, id string) ([]int, error) {
	id, err := NormalizeContainerID(id)
	if err != nil {
		return nil, err
	}
	pids, err := scanCgroups(procRoot, func(cg string) bool { return ContainerIDFromCgroup(cg) == id })
	if err != nil {
		return nil, err
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("container %.12s in %s/*/cgroup: %w", id, procRoot, ErrNotFound)
	}
	return pids, nil
}

// scanCgroups returns the PIDs whose cgroup file satisfies match.
func scanCgroups(procRoot string, match func(cgroupFile string) bool) ([]int, error) {
	pids, err := netns.ListPIDs(procRoot)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, pid := range pids {
		data, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/cgroup")
		if err != nil {
			continue // exited, or not a process directory
		}
		if match(string(data)) {
			out = append(out, pid)
		}
	}
	return out, nil
}
