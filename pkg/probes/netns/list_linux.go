package netns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// DefaultBindDirs are where runtimes and `ip netns` bind-mount network
// namespaces that must outlive (or exist without) any process: containerd and
// CRI-O put CNI namespaces (cni-<uuid>) under /run/netns or /var/run/netns,
// dockerd under /var/run/docker/netns.
var DefaultBindDirs = []string{"/run/netns", "/var/run/netns", "/var/run/docker/netns"}

// Found is one network namespace on the node and what keeps it alive: the
// processes inside it and the bind mounts naming it. A namespace with neither is
// only held by an open file descriptor or a socket and cannot be found this way
// (lsns cannot see it either).
type Found struct {
	ID ID
	// PIDs are the processes whose /proc/PID/ns/net is this namespace, ascending.
	PIDs []int
	// Paths are the bind mounts of this namespace, as paths the caller can open
	// (under Root, symlinks resolved: see HostPath), sorted.
	Paths []string
}

// ListOptions says where to look. The zero value lists the namespaces visible
// from the caller's own mount and PID namespaces.
type ListOptions struct {
	// ProcRoot is where procfs is mounted; "" means /proc.
	ProcRoot string
	// Root is the prefix under which the node's filesystem is visible, e.g.
	// "/proc/1/root" for a hostPID pod, or a hostPath mount such as "/host".
	// "" means the caller's own root.
	Root string
	// BindDirs are scanned for nsfs bind mounts; nil means DefaultBindDirs.
	BindDirs []string
	// SkipMountInfo turns off the mountinfo scan for nsfs mounts outside BindDirs.
	SkipMountInfo bool
	// Parallelism bounds the goroutines stat-ing /proc/PID/ns/net; 0 means 1.
	// A node with thousands of pods has thousands of processes to stat.
	Parallelism int
}

func (o ListOptions) procRoot() string {
	if o.ProcRoot == "" {
		return "/proc"
	}
	return o.ProcRoot
}

func (o ListOptions) root() string { return strings.TrimSuffix(o.Root, "/") }

// mountInfoPath is the mount table matching Root: with a Root the node's (PID 1's
// in a hostPID pod), else the caller's.
func (o ListOptions) mountInfoPath() string {
	if o.root() == "" {
		return o.procRoot() + "/self/mountinfo"
	}
	return o.procRoot() + "/1/mountinfo"
}

// List enumerates every network namespace held by a process (the /proc walk) or
// a bind mount, deduplicated by (device, inode). It does not open the namespaces:
// a stat per process and per candidate mount is all it costs. Processes that exit
// during the walk are skipped, not errors.
func List(opts ListOptions) ([]Found, error) {
	nsfsDev, err := nsfsDevice(opts.procRoot())
	if err != nil {
		return nil, err
	}
	byID := map[ID]*Found{}
	get := func(id ID) *Found {
		f := byID[id]
		if f == nil {
			f = &Found{ID: id}
			byID[id] = f
		}
		return f
	}

	pids, err := ListPIDs(opts.procRoot())
	if err != nil {
		return nil, err
	}
	ids := statNetNS(opts.procRoot(), pids, opts.Parallelism)
	for i, pid := range pids {
		if ids[i] == (ID{}) {
			continue // exited, or a kernel thread we may not inspect
		}
		f := get(ids[i])
		f.PIDs = append(f.PIDs, pid)
	}

	paths := map[string]bool{}
	for _, dir := range bindDirsOrDefault(opts.BindDirs) {
		hostDir, err := HostPath(opts.root(), dir)
		if err != nil {
			return nil, err
		}
		found, err := nsfsFilesIn(hostDir, nsfsDev)
		if err != nil {
			return nil, err
		}
		for _, p := range found {
			paths[p] = true
		}
	}
	if !opts.SkipMountInfo {
		mounts, err := nsfsMountPoints(opts.mountInfoPath())
		if err != nil {
			return nil, err
		}
		for _, m := range mounts {
			if p, err := HostPath(opts.root(), m); err == nil {
				paths[p] = true
			}
		}
	}
	for p := range paths {
		id, err := StatID(p)
		if err != nil || id.Dev != nsfsDev || !isNetNSFile(p) {
			continue // unmounted placeholder, vanished, or a namespace of another type
		}
		f := get(id)
		f.Paths = append(f.Paths, p)
	}

	out := make([]Found, 0, len(byID))
	for _, f := range byID {
		sort.Strings(f.Paths)
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.Ino < out[j].ID.Ino })
	return out, nil
}

// statNetNS returns the namespace of each PID (zero ID when it could not be
// read), splitting the PIDs among workers.
func statNetNS(procRoot string, pids []int, workers int) []ID {
	ids := make([]ID, len(pids))
	workers = max(workers, 1)
	chunk := (len(pids) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(pids); start += chunk {
		end := min(start+chunk, len(pids))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				if id, err := StatID(procRoot + "/" + strconv.Itoa(pids[i]) + "/ns/net"); err == nil {
					ids[i] = id
				}
			}
		}()
	}
	wg.Wait()
	return ids
}

func bindDirsOrDefault(dirs []string) []string {
	if dirs == nil {
		return DefaultBindDirs
	}
	return dirs
}

// nsfsDevice is the device number of nsfs, shared by every namespace file; a bind
// mount whose stat shows another device is an ordinary (unmounted) file.
func nsfsDevice(procRoot string) (uint64, error) {
	id, err := StatID(procRoot + "/self/ns/net")
	if err != nil {
		return 0, fmt.Errorf("find the nsfs device: %w", err)
	}
	return id.Dev, nil
}

// nsfsFilesIn lists the entries of dir that are nsfs files. A missing dir is
// normal (no runtime uses it on this node).
func nsfsFilesIn(dir string, nsfsDev uint64) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read netns directory %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if id, err := StatID(p); err == nil && id.Dev == nsfsDev {
			out = append(out, p)
		}
	}
	return out, nil
}

// isNetNSFile asks the kernel which namespace type an nsfs file is, so bind
// mounts of mount or UTS namespaces in the same directories are left out.
func isNetNSFile(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	return err == nil && t == unix.CLONE_NEWNET
}
