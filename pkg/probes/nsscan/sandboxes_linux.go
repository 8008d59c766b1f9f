package nsscan

import (
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// ownSandboxes ties namespaces to sandboxes (see sandboxOfNamespace).
func ownSandboxes(inv *Inventory, sandboxes []cri.Sandbox, hostRoot, procRoot string) {
	for i, sb := range sandboxOfNamespace(inv, sandboxes, hostRoot, procRoot) {
		ref := sandboxRef(sb)
		inv.Namespaces[i].Sandbox = &ref
	}
}

// sandboxOfNamespace maps the index of each namespace a sandbox owns to that
// sandbox: by the sandbox's netns path (looked up under hostRoot), else by its
// pause PID's namespace. The host namespace is never attributed by PID:
// hostNetwork pods share it without owning it. A ready sandbox wins over a
// stale one sharing the path.
func sandboxOfNamespace(inv *Inventory, sandboxes []cri.Sandbox, hostRoot, procRoot string) map[int]cri.Sandbox {
	if procRoot == "" {
		procRoot = "/proc"
	}
	byInode := map[uint64]int{}
	for i, ns := range inv.Namespaces {
		byInode[ns.Inode] = i
	}
	out := map[int]cri.Sandbox{}
	for _, sb := range sandboxes {
		var ino uint64
		if sb.NetNSPath != "" {
			if p, err := netns.HostPath(hostRoot, sb.NetNSPath); err == nil {
				if id, err := netns.StatID(p); err == nil {
					ino = id.Ino
				}
			}
		}
		if ino == 0 && sb.PID > 0 {
			ino = inv.NSOfPID[sb.PID]
		}
		i, ok := byInode[ino]
		if !ok || inv.Namespaces[i].Host {
			continue
		}
		if cur, ok := out[i]; ok && cur.Ready() && !sb.Ready() {
			continue
		}
		out[i] = sb
	}
	return out
}

func sandboxRef(sb cri.Sandbox) v1alpha1.SandboxRef {
	return v1alpha1.SandboxRef{ID: sb.ID, Namespace: sb.Namespace, Name: sb.Name, UID: sb.UID,
		State: sb.State, Via: v1alpha1.OwnerViaCRI, NetNSPath: sb.NetNSPath, PID: sb.PID}
}
