package nsscan

import (
	"os"
	"strconv"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// cgroupReadsPerNamespace bounds the cgroup files read per namespace: its
// processes all belong to one pod, so the first that names one settles it;
// a few more cover processes that exit meanwhile.
const cgroupReadsPerNamespace = 3

// readPodUIDs reads the pod UID from the cgroups of a few processes of every
// namespace but the host's, and of every child of a shim re-parented to PID 1.
func readPodUIDs(procRoot string, nss []v1alpha1.NetNamespace, procs map[int]netns.Process,
	shims map[int][]string) (uidOfNS map[uint64]string, uidOfPID map[int]string) {
	uidOfNS, uidOfPID = map[uint64]string{}, map[int]string{}
	read := func(pid int) string {
		if uid, ok := uidOfPID[pid]; ok {
			return uid
		}
		data, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/cgroup")
		uid := ""
		if err == nil {
			uid = cri.PodUIDFromCgroup(string(data))
		}
		uidOfPID[pid] = uid
		return uid
	}
	for _, ns := range nss {
		if ns.Host {
			continue
		}
		for i, p := range ns.Processes {
			if i == cgroupReadsPerNamespace {
				break
			}
			if uid := read(p.PID); uid != "" {
				uidOfNS[ns.Inode] = uid
				break
			}
		}
	}
	for shim := range shims {
		for _, c := range procs {
			if c.PPID == shim {
				read(c.PID)
			}
		}
	}
	return uidOfNS, uidOfPID
}
