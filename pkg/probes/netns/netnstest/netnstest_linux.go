package netnstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// SkipUnlessRoot skips tests that create namespaces and links.
func SkipUnlessRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, bind mounts and links")
	}
}

// New creates a fresh, empty network namespace held only by the returned open
// file descriptor; the kernel frees it when Cleanup closes the descriptor.
func New(t testing.TB) *netns.NetNS {
	t.Helper()
	ns, err := create()
	if err != nil {
		t.Fatalf("create network namespace: %v", err)
	}
	t.Cleanup(func() { _ = ns.Close() })
	return ns
}

// create unshares a new namespace on a locked thread, opens it, and switches the
// thread back before unlocking it (a thread that cannot switch back stays locked
// and dies with its goroutine).
func create() (*netns.NetNS, error) {
	type result struct {
		ns  *netns.NetNS
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := vnetns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("unshare(CLONE_NEWNET): %w", err)}
			return
		}
		ns, openErr := netns.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err := vnetns.Set(orig); err != nil {
			ch <- result{err: fmt.Errorf("switch back: %w", err)}
			return // thread stays locked and is discarded
		}
		runtime.UnlockOSThread()
		ch <- result{ns: ns, err: openErr}
	}()
	r := <-ch
	return r.ns, r.err
}

// BindMount pins ns at path the way `ip netns add` and CNI do (an empty file
// with the nsfs file bind-mounted on it); Cleanup unmounts it and removes the
// file.
func BindMount(t testing.TB, ns *netns.NetNS, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		t.Fatalf("create mount point %s: %v", path, err)
	}
	src := fmt.Sprintf("/proc/self/fd/%d", ns.Fd())
	if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mount network namespace on %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = unix.Unmount(path, unix.MNT_DETACH)
		_ = os.Remove(path)
	})
}

// Holder is a process living in a network namespace of its own.
type Holder struct {
	PID int
	NS  *netns.NetNS
	cmd *exec.Cmd
}

// StartHolder starts `sleep infinity` in a new network namespace
// (CLONE_NEWNET), the way a pod's pause process holds its namespace. The
// process is killed at Cleanup and, should the test binary die first, by
// PDEATHSIG.
func StartHolder(t testing.TB) *Holder {
	t.Helper()
	h, err := startHolder()
	if err != nil {
		t.Fatalf("start namespace holder: %v", err)
	}
	t.Cleanup(h.Stop)
	return h
}

func startHolder() (*Holder, error) {
	cmd := exec.Command("sleep", "infinity")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sleep in a new network namespace: %w", err)
	}
	ns, err := netns.OpenPID("/proc", cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	return &Holder{PID: cmd.Process.Pid, NS: ns, cmd: cmd}, nil
}

// Stop kills the process and releases the namespace.
func (h *Holder) Stop() {
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
	_ = h.NS.Close()
}

// Handle returns a netlink handle in ns, closed at Cleanup.
func Handle(t testing.TB, ns *netns.NetNS) *netlink.Handle {
	t.Helper()
	h, err := ns.NetlinkHandle()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// AddBridge creates an up bridge named name in ns, with addr ("10.244.0.1/24",
// optional) on it like cni0.
func AddBridge(t testing.TB, ns *netns.NetNS, name, addr string) {
	t.Helper()
	h := Handle(t, ns)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
	if err := h.LinkAdd(br); err != nil {
		t.Fatalf("add bridge %s: %v", name, err)
	}
	if addr != "" {
		mustAddAddr(t, h, br, addr)
	}
	if err := h.LinkSetUp(br); err != nil {
		t.Fatalf("set %s up: %v", name, err)
	}
}

// Pod describes the pod side of a veth pair.
type Pod struct {
	NS     *netns.NetNS
	IfName string // e.g. "eth0"
	MAC    string // "" keeps the kernel's random MAC
	Addr   string // e.g. "10.244.1.5/24"
}

// AttachPod creates a veth pair the way the bridge CNI plugin does: hostIf in
// nodeNS enslaved to bridge, its peer moved into pod.NS as pod.IfName with
// pod.MAC and pod.Addr, everything up (lo too).
func AttachPod(t testing.TB, nodeNS *netns.NetNS, bridge, hostIf string, pod Pod) {
	t.Helper()
	node := Handle(t, nodeNS)
	br, err := node.LinkByName(bridge)
	if err != nil {
		t.Fatalf("find bridge %s: %v", bridge, err)
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: hostIf, MasterIndex: br.Attrs().Index},
		PeerName:      pod.IfName,
		PeerNamespace: netlink.NsFd(pod.NS.Fd()),
	}
	if pod.MAC != "" {
		mac, err := net.ParseMAC(pod.MAC)
		if err != nil {
			t.Fatal(err)
		}
		veth.PeerHardwareAddr = mac
	}
	if err := node.LinkAdd(veth); err != nil {
		t.Fatalf("add veth %s <-> %s: %v", hostIf, pod.IfName, err)
	}
	host, err := node.LinkByName(hostIf)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.LinkSetUp(host); err != nil {
		t.Fatal(err)
	}
	ph := Handle(t, pod.NS)
	link, err := ph.LinkByName(pod.IfName)
	if err != nil {
		t.Fatalf("find %s in pod namespace: %v", pod.IfName, err)
	}
	if pod.Addr != "" {
		mustAddAddr(t, ph, link, pod.Addr)
	}
	for _, l := range []string{"lo", pod.IfName} {
		ll, err := ph.LinkByName(l)
		if err == nil {
			err = ph.LinkSetUp(ll)
		}
		if err != nil {
			t.Fatalf("set %s up in pod namespace: %v", l, err)
		}
	}
}

// AddAddr adds addr to the named link in ns.
func AddAddr(t testing.TB, ns *netns.NetNS, ifName, addr string) {
	t.Helper()
	h := Handle(t, ns)
	l, err := h.LinkByName(ifName)
	if err != nil {
		t.Fatalf("find %s: %v", ifName, err)
	}
	mustAddAddr(t, h, l, addr)
	if err := h.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
}

func mustAddAddr(t testing.TB, h *netlink.Handle, l netlink.Link, addr string) {
	t.Helper()
	a, err := netlink.ParseAddr(addr)
	if err != nil {
		t.Fatalf("parse %s: %v", addr, err)
	}
	// No DAD: tests want the duplicate to stay, as in the incident.
	a.Flags |= unix.IFA_F_NODAD
	if err := h.AddrAdd(l, a); err != nil {
		t.Fatalf("add %s to %s: %v", addr, l.Attrs().Name, err)
	}
}
