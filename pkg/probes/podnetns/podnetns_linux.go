// Package podnetns resolves a v1alpha1.NetnsRef on the node: the network
// namespace a node agent enters to check "from the pod" without an ephemeral
// container (distroless or runAsNonRoot pods, static pods, clusters without
// ephemeral containers). A path or PID names the namespace directly; a
// container ID or pod UID is asked of the container runtime over CRI, else
// found through the cgroups of the node's processes, the way the kubelet
// names them, so an unreachable runtime socket only costs the dial.
package podnetns

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// maxCandidates bounds the processes tried when a namespace must be opened
// through one of them (they may exit meanwhile) or one must hold a
// resolv.conf.
const maxCandidates = 16

// Target is a pod's network namespace, open until Close.
type Target struct {
	NS *netns.NetNS
	// PID is the process the namespace was opened through (0 for a path
	// without a live process in the namespace).
	PID int
	// ResolvConf is the pod's resolver config as the probe can read it,
	// ProcRoot/<pid>/root/etc/resolv.conf; "" when no process of the pod has one.
	ResolvConf string
	// Via says how a container or pod was found: "cri containerd v2.1.4",
	// or "cgroup scan (cri: <why not>)"; "" for a path or PID.
	Via string
	// Desc names the namespace in results: "pod default/client: pid 4242
	// net:[4026532301] via cri containerd v2.1.4".
	Desc string
}

// Close releases the namespace.
func (t *Target) Close() error { return t.NS.Close() }

// Open resolves ref and opens the namespace.
func Open(ref v1alpha1.NetnsRef) (*Target, error) {
	procRoot := strings.TrimSuffix(ref.ProcRoot, "/")
	if procRoot == "" {
		procRoot = "/proc"
	}
	var pids []int
	var t *Target
	var err error
	switch {
	case ref.Path != "":
		t, pids, err = openPath(procRoot, ref.Path)
	case ref.PID > 0:
		pids = []int{ref.PID}
		t, err = openFirst(procRoot, pids, fmt.Sprintf("process %d", ref.PID))
	case ref.ContainerID != "" || ref.PodUID != "":
		t, pids, err = openByRuntime(procRoot, ref)
	default:
		return nil, errors.New("the netns reference names nothing: set path, pid, containerID or podUID")
	}
	if err != nil {
		return nil, err
	}
	t.ResolvConf = resolvConf(procRoot, t.PID, pids)
	t.Desc = describe(ref, t)
	return t, nil
}

// notOnNode turns "no process found" into the question the user must answer.
func notOnNode(what, procRoot string, err error) error {
	if errors.Is(err, cri.ErrNotFound) {
		return fmt.Errorf("no process of %s on this node (scanned %s/*/cgroup): is the pod on this node, and running? %w",
			what, procRoot, err)
	}
	return fmt.Errorf("find the processes of %s: %w", what, err)
}

func trimScheme(id string) string {
	if i := strings.Index(id, "://"); i >= 0 {
		return id[i+3:]
	}
	return id
}

func shortID(id string) string {
	id = trimScheme(id)
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// openFirst opens the namespace of the first of pids still alive.
func openFirst(procRoot string, pids []int, what string) (*Target, error) {
	var errs []error
	for i, pid := range pids {
		if i == maxCandidates {
			break
		}
		ns, err := netns.OpenPID(procRoot, pid)
		if err == nil {
			return &Target{NS: ns, PID: pid}, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("open the network namespace of %s: %w", what, errors.Join(errs...))
}

// openPath opens a namespace by path and finds processes living in it, whose
// root holds the pod's resolv.conf.
func openPath(procRoot, path string) (*Target, []int, error) {
	ns, err := netns.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if _, err := netns.ListPIDs(procRoot); err != nil {
		_ = ns.Close()
		return nil, nil, err
	}
	in := processesIn(procRoot, ns.ID())
	t := &Target{NS: ns}
	if len(in) > 0 {
		t.PID = in[0]
	}
	return t, in, nil
}

// processesIn lists up to maxCandidates processes living in namespace id.
func processesIn(procRoot string, id netns.ID) []int {
	pids, err := netns.ListPIDs(procRoot)
	if err != nil {
		return nil
	}
	var in []int
	for _, pid := range pids {
		if got, err := netns.StatID(procRoot + "/" + strconv.Itoa(pid) + "/ns/net"); err == nil && got == id {
			if in = append(in, pid); len(in) == maxCandidates {
				break
			}
		}
	}
	return in
}

// resolvConf finds the pod's resolver config under the root of one of its
// processes: the kubelet bind-mounts it into the app containers, not into the
// pause container, so the first process holding one wins.
func resolvConf(procRoot string, first int, pids []int) string {
	for i, pid := range append([]int{first}, pids...) {
		if pid <= 0 || i > maxCandidates {
			continue
		}
		p := procRoot + "/" + strconv.Itoa(pid) + "/root/etc/resolv.conf"
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func describe(ref v1alpha1.NetnsRef, t *Target) string {
	d := t.NS.ID().String()
	switch {
	case t.PID > 0:
		d = fmt.Sprintf("pid %d %s", t.PID, d)
	case ref.Path != "":
		d = fmt.Sprintf("%s %s", ref.Path, d)
	}
	if ref.Label != "" {
		d = ref.Label + ": " + d
	}
	if t.Via != "" {
		d += " via " + t.Via
	}
	return d
}
