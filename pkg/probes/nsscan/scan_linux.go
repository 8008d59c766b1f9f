package nsscan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// defaultParallelism bounds namespaces read at once: each read is a few
// syscalls (setns twice, socket, two netlink dumps), so a few workers keep a
// couple of cores busy without flooding the kernel.
const defaultParallelism = 4

// Options say where and how to scan; they mirror v1alpha1.NSScanSpec.
type Options struct {
	ProcRoot    string
	HostRoot    string
	BindDirs    []string // nil: netns.DefaultBindDirs
	BridgeName  string
	BridgeNetNS string // "": the scanner's own namespace
	Parallelism int
}

// Inventory is what the scan found, before analysis.
type Inventory struct {
	Namespaces []v1alpha1.NetNamespace
	// Procs are all processes seen, by PID.
	Procs map[int]netns.Process
	// NSOfPID maps every PID seen to its namespace inode.
	NSOfPID map[int]uint64
	// ShimArgs are the command lines of containerd shims re-parented to PID 1.
	ShimArgs map[int][]string
	// BridgeInode is the namespace holding the bridge (0 if no bridge was asked for).
	BridgeInode uint64
	Errors      []string
}

// Scan enumerates and reads every network namespace on the node. Namespaces
// that vanish or cannot be read are reported in Errors and in their own Error
// field; only a failure to enumerate at all is an error.
func Scan(ctx context.Context, opts Options) (*Inventory, error) {
	procRoot := opts.ProcRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	found, err := netns.List(netns.ListOptions{ProcRoot: procRoot, Root: opts.HostRoot, BindDirs: opts.BindDirs,
		Parallelism: parallelism(opts)})
	if err != nil {
		return nil, fmt.Errorf("list network namespaces: %w", err)
	}
	self, err := netns.StatID("/proc/self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("identify the probe's own network namespace: %w", err)
	}
	inv := &Inventory{NSOfPID: map[int]uint64{}, ShimArgs: map[int][]string{}}
	for _, f := range found {
		for _, pid := range f.PIDs {
			inv.NSOfPID[pid] = f.ID.Ino
		}
	}
	inv.Procs = readProcesses(procRoot, inv.NSOfPID, parallelism(opts))
	for pid, p := range inv.Procs {
		if isShim(p) && p.PPID == 1 {
			if args, err := netns.ReadCmdline(procRoot, pid); err == nil {
				inv.ShimArgs[pid] = args
			}
		}
	}

	br, err := openBridge(opts.BridgeName, opts.BridgeNetNS)
	if err != nil {
		inv.Errors = append(inv.Errors, err.Error())
	}
	if br != nil {
		defer br.close()
		inv.BridgeInode = br.ns.ID().Ino
	}

	inv.Namespaces = make([]v1alpha1.NetNamespace, len(found))
	// Workers take the next namespace from a shared counter rather than a
	// channel: each is locked to its OS thread (it enters namespaces), and a
	// locked goroutine that blocks on a channel costs a futex handoff between
	// threads per namespace, which showed up in the scan's profile.
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < parallelism(opts); w++ {
		wg.Go(func() {
			r, err := newReader()
			if err == nil {
				defer r.release()
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(found) || ctx.Err() != nil {
					return
				}
				if err != nil {
					inv.Namespaces[i] = v1alpha1.NetNamespace{Inode: found[i].ID.Ino, Error: err.Error()}
					continue
				}
				inv.Namespaces[i] = r.readNamespace(procRoot, opts.HostRoot, found[i], self, br, inv.Procs)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("namespace scan: %w", err)
	}
	for _, ns := range inv.Namespaces {
		if ns.Error != "" {
			inv.Errors = append(inv.Errors, fmt.Sprintf("net:[%d]: %s", ns.Inode, ns.Error))
		}
	}
	return inv, nil
}

func parallelism(o Options) int {
	if o.Parallelism > 0 {
		return o.Parallelism
	}
	return defaultParallelism
}

// readProcesses reads /proc/PID/stat of every PID, in parallel: on a node with
// thousands of pods this is as much work as reading the namespaces.
func readProcesses(procRoot string, pids map[int]uint64, workers int) map[int]netns.Process {
	list := make([]int, 0, len(pids))
	for pid := range pids {
		list = append(list, pid)
	}
	out := make([]netns.Process, len(list))
	var wg sync.WaitGroup
	chunk := (len(list) + workers - 1) / workers
	for start := 0; start < len(list); start += chunk {
		end := min(start+chunk, len(list))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf [512]byte
			for i := start; i < end; i++ {
				p, err := netns.ReadProcessBuf(procRoot, list[i], buf[:])
				if err == nil {
					out[i] = p
				}
			}
		}()
	}
	wg.Wait()
	procs := make(map[int]netns.Process, len(list))
	for _, p := range out {
		if p.PID != 0 {
			procs[p.PID] = p
		}
	}
	return procs
}

// readNamespace opens one namespace (through a bind mount, else through any of
// its processes, which may exit meanwhile) and reads its interfaces.
func (r *reader) readNamespace(procRoot, hostRoot string, f netns.Found, self netns.ID, br *bridge, procs map[int]netns.Process) v1alpha1.NetNamespace {
	out := v1alpha1.NetNamespace{
		Inode:        f.ID.Ino,
		Paths:        nodePaths(f.Paths, hostRoot),
		Host:         f.ID == self,
		ProcessCount: len(f.PIDs),
	}
	if !out.Host {
		out.Processes = describeProcesses(f.PIDs, procs)
	}
	ns, err := openFound(procRoot, f)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer ns.Close()
	ifaces, ports, err := r.readLinks(ns, br)
	if err != nil {
		out.Error = err.Error()
	}
	out.Interfaces, out.BridgePorts = ifaces, ports
	return out
}

// nodePaths strips the host root prefix, so evidence shows the paths an
// operator sees on the node (/run/netns/cni-...), not /proc/1/root/run/netns/....
func nodePaths(paths []string, hostRoot string) []string {
	hostRoot = strings.TrimSuffix(hostRoot, "/")
	if hostRoot == "" || len(paths) == 0 {
		return paths
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = strings.TrimPrefix(p, hostRoot)
	}
	return out
}

func openFound(procRoot string, f netns.Found) (*netns.NetNS, error) {
	var errs []error
	for _, p := range f.Paths {
		ns, err := netns.Open(p)
		if err == nil && ns.ID() == f.ID {
			return ns, nil
		}
		if err == nil {
			_ = ns.Close()
			err = fmt.Errorf("%s now names another namespace", p)
		}
		errs = append(errs, err)
	}
	for _, pid := range f.PIDs {
		ns, err := netns.OpenPID(procRoot, pid)
		if err == nil && ns.ID() == f.ID {
			return ns, nil
		}
		if err == nil {
			_ = ns.Close()
			err = fmt.Errorf("process %d moved to another namespace", pid)
		}
		errs = append(errs, err)
		if len(errs) > 3 {
			break // the namespace is going away; do not try thousands of PIDs
		}
	}
	return nil, fmt.Errorf("vanished while scanning: %w", errors.Join(errs...))
}

// describeProcesses lists the namespace's processes with their parents, the
// evidence that names a shim re-parented to PID 1.
func describeProcesses(pids []int, procs map[int]netns.Process) []v1alpha1.NSProcess {
	out := make([]v1alpha1.NSProcess, 0, len(pids))
	for _, pid := range pids {
		p, ok := procs[pid]
		if !ok {
			continue
		}
		np := v1alpha1.NSProcess{PID: p.PID, Comm: p.Comm, PPID: p.PPID}
		if parent, ok := procs[p.PPID]; ok {
			np.ParentComm, np.ParentPPID = parent.Comm, parent.PPID
		}
		out = append(out, np)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// isShim matches containerd's runtime v2 shims: the binary is
// containerd-shim-runc-v2 (or -runsc-v1, -kata-v2, ...), and comm keeps only
// its first 15 bytes, "containerd-shim".
func isShim(p netns.Process) bool { return strings.HasPrefix(p.Comm, "containerd-shim") }
