package nsscan

import (
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// orphanShims: containerd shims whose parent is PID 1 are normal (shims
// daemonize); one whose pod is gone is what a crashed or force-removed pod
// leaves behind, often still holding the pod's namespace. With the runtime's
// list, gone means the shim's -id (the sandbox ID) names no sandbox it knows.
// With the API's pods, which know no sandbox IDs, gone means the cgroups of
// the shim's children name pods and none of them is live; a shim whose
// children name no pod at all cannot be judged. Shims of other containerd
// namespaces (docker's "moby", ctr's "default") are not Kubernetes' to judge.
func orphanShims(f facts) []v1alpha1.OrphanShim {
	if !f.SandboxesKnown {
		return nil
	}
	var out []v1alpha1.OrphanShim
	for pid, args := range f.ShimArgs {
		p, ok := f.Procs[pid]
		if !ok || p.PPID != 1 {
			continue
		}
		runtimeNS, id := flagValue(args, "namespace"), flagValue(args, "id")
		if (runtimeNS != "" && runtimeNS != "k8s.io") || id == "" {
			continue
		}
		children := childrenOf(f.Procs, pid)
		if f.ByAPI && !podsGone(f, children) || !f.ByAPI && f.SandboxIDs[id] {
			continue
		}
		shim := v1alpha1.OrphanShim{PID: pid, PPID: p.PPID, Comm: p.Comm, SandboxID: id, RuntimeNamespace: runtimeNS}
		seen := map[uint64]bool{}
		for _, c := range children {
			shim.Children = append(shim.Children, v1alpha1.NSProcess{PID: c.PID, Comm: c.Comm, PPID: pid,
				ParentComm: p.Comm, ParentPPID: p.PPID})
			if ino := f.NSOfPID[c.PID]; ino != 0 && !seen[ino] {
				seen[ino] = true
				shim.NetNSInodes = append(shim.NetNSInodes, ino)
			}
		}
		sort.Slice(shim.NetNSInodes, func(i, j int) bool { return shim.NetNSInodes[i] < shim.NetNSInodes[j] })
		out = append(out, shim)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// childrenOf lists pid's child processes, by PID.
func childrenOf(procs map[int]netns.Process, pid int) []netns.Process {
	var out []netns.Process
	for _, c := range procs {
		if c.PPID == pid {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// podsGone is true when the children's cgroups name at least one pod and
// every pod they name is gone from the API.
func podsGone(f facts, children []netns.Process) bool {
	named := false
	for _, c := range children {
		uid := f.PodUIDOfPID[c.PID]
		if uid == "" {
			continue
		}
		if f.LivePodUIDs[uid] {
			return false
		}
		named = true
	}
	return named
}

// flagValue reads "-name value", "--name value" or "-name=value" from argv.
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}
