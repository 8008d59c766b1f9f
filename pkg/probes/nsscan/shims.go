package nsscan

import (
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// orphanShims: containerd shims whose parent is PID 1 are normal (shims
// daemonize); one whose -id names no sandbox the runtime knows is what a crashed
// or force-removed pod leaves behind, often still holding the pod's namespace.
// Shims of other containerd namespaces (docker's "moby", ctr's "default") are
// not CRI's to judge.
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
		if (runtimeNS != "" && runtimeNS != "k8s.io") || id == "" || f.SandboxIDs[id] {
			continue
		}
		shim := v1alpha1.OrphanShim{PID: pid, PPID: p.PPID, Comm: p.Comm, SandboxID: id, RuntimeNamespace: runtimeNS}
		seen := map[uint64]bool{}
		for _, c := range f.Procs {
			if c.PPID != pid {
				continue
			}
			shim.Children = append(shim.Children, v1alpha1.NSProcess{PID: c.PID, Comm: c.Comm, PPID: pid,
				ParentComm: p.Comm, ParentPPID: p.PPID})
			if ino := f.NSOfPID[c.PID]; ino != 0 && !seen[ino] {
				seen[ino] = true
				shim.NetNSInodes = append(shim.NetNSInodes, ino)
			}
		}
		sort.Slice(shim.Children, func(i, j int) bool { return shim.Children[i].PID < shim.Children[j].PID })
		sort.Slice(shim.NetNSInodes, func(i, j int) bool { return shim.NetNSInodes[i] < shim.NetNSInodes[j] })
		out = append(out, shim)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
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
