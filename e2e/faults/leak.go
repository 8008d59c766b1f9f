package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// LeakOptions describe a leaked pod network namespace.
type LeakOptions struct {
	Node lab.Node
	// Bridge the leaked veth hangs on; default "cni0".
	Bridge string
	// IP with prefix length, e.g. "10.244.1.250/24" (inside the node's podCIDR,
	// possibly an address the CNI has handed to a live pod).
	IP string
	// MAC of the leaked eth0, e.g. "02:42:de:ad:be:ef".
	MAC string
	// Command runs inside the namespace and holds it; default a sleeping
	// busybox. Use EchoServerBinary for an echo server that answers there.
	Command []string
	// KeepName leaves the /run/netns/<name> bind mount. By default it is
	// removed, as after a crashed CNI DEL: only the process holds the namespace.
	KeepName bool
}

// Leak is a leaked network namespace.
type Leak struct {
	// PID of the process holding it; its parent is PID 1.
	PID int
	// NetnsPath is /proc/<PID>/ns/net.
	NetnsPath string
	// HostVeth is the node-side veth, a port of the bridge.
	HostVeth string
	// Name under /run/netns while it has one.
	Name string
	// nodeNetns is the node namespace HostVeth lives in.
	nodeNetns string
}

// LeakedNetns creates what a pod leaves behind when its teardown went wrong: a
// network namespace with eth0 (given IP and MAC) plugged into the node's
// bridge, held alive by a process re-parented to PID 1 (double fork), running
// outside Kubernetes' knowledge. Cleanup kills the process, which frees the
// namespace and its veth.
func LeakedNetns(t testing.TB, o LeakOptions) *Leak {
	t.Helper()
	if o.Bridge == "" {
		o.Bridge = "cni0"
	}
	if len(o.Command) == 0 {
		o.Command = []string{"/bin/busybox", "sleep", "86400"}
	}
	suffix := randomHex(3)
	leak := &Leak{Name: "netcheck-leak-" + suffix, HostVeth: "nclk" + suffix, nodeNetns: o.Node.NetnsPath()}
	l, err := lab.New()
	if err != nil {
		t.Fatalf("faults: %v", err)
	}

	if out, err := exec.Command("ip", "netns", "add", leak.Name).CombinedOutput(); err != nil {
		t.Fatalf("faults: ip netns add %s: %v: %s", leak.Name, err, out)
	}
	// Registered first so it runs last: whatever else failed, the process
	// dies, the name goes and the veth with it.
	t.Cleanup(func() { leak.remove(t, l) })

	if err := plugIn(leak, o); err != nil {
		t.Fatalf("faults: leaked netns %s: %v", leak.Name, err)
	}
	pid, err := startOrphan("/run/netns/"+leak.Name, o.Command)
	if err != nil {
		t.Fatalf("faults: start process in %s: %v", leak.Name, err)
	}
	leak.PID, leak.NetnsPath = pid, fmt.Sprintf("/proc/%d/ns/net", pid)
	if err := l.RecordLeak(pid); err != nil {
		t.Logf("faults: record leak %d: %v", pid, err)
	}
	if !o.KeepName {
		if out, err := exec.Command("ip", "netns", "delete", leak.Name).CombinedOutput(); err != nil {
			t.Fatalf("faults: drop name %s: %v: %s", leak.Name, err, out)
		}
		leak.Name = ""
	}
	t.Logf("faults: leaked netns on %s/%s: %s %s held by pid %d (%v)", o.Node.Name, o.Bridge, o.IP, o.MAC, pid, o.Command)
	return leak
}

// plugIn creates the veth: eth0 (IP, MAC, default route via the bridge's own
// address) in the leaked namespace, the other end a port of the node's bridge.
func plugIn(leak *Leak, o LeakOptions) error {
	nodeNS, err := netns.GetFromPath(o.Node.NetnsPath())
	if err != nil {
		return err
	}
	defer nodeNS.Close()
	leakNS, err := netns.GetFromName(leak.Name)
	if err != nil {
		return err
	}
	defer leakNS.Close()
	node, err := netlink.NewHandleAt(nodeNS)
	if err != nil {
		return err
	}
	defer node.Close()
	in, err := netlink.NewHandleAt(leakNS)
	if err != nil {
		return err
	}
	defer in.Close()

	bridge, err := node.LinkByName(o.Bridge)
	if err != nil {
		return fmt.Errorf("bridge %s on %s: %w", o.Bridge, o.Node.Name, err)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: leak.HostVeth, MTU: bridge.Attrs().MTU},
		PeerName: "eth0", PeerNamespace: netlink.NsFd(int(leakNS))}
	if err := node.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth: %w", err)
	}
	hostEnd, err := node.LinkByName(leak.HostVeth)
	if err != nil {
		return err
	}
	if err := node.LinkSetMaster(hostEnd, bridge); err != nil {
		return fmt.Errorf("attach to %s: %w", o.Bridge, err)
	}
	if err := node.LinkSetUp(hostEnd); err != nil {
		return err
	}

	eth0, err := in.LinkByName("eth0")
	if err != nil {
		return err
	}
	hw, err := net.ParseMAC(o.MAC)
	if err != nil {
		return err
	}
	if err := in.LinkSetHardwareAddr(eth0, hw); err != nil {
		return fmt.Errorf("set MAC: %w", err)
	}
	addr, err := netlink.ParseAddr(o.IP)
	if err != nil {
		return err
	}
	if err := in.AddrAdd(eth0, addr); err != nil {
		return fmt.Errorf("add %s: %w", o.IP, err)
	}
	for _, name := range []string{"lo", "eth0"} {
		if link, err := in.LinkByName(name); err == nil {
			if err := in.LinkSetUp(link); err != nil {
				return err
			}
		}
	}
	if gws, err := node.AddrList(bridge, netlink.FAMILY_V4); err == nil && len(gws) > 0 {
		if err := in.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: gws[0].IP}); err != nil {
			return fmt.Errorf("default route via %s: %w", gws[0].IP, err)
		}
	}
	return nil
}

// startOrphan runs command inside the namespace through a shell that exits at
// once, so the command is re-parented to PID 1 like a process whose
// container runtime lost track of it. It returns the command's PID.
func startOrphan(netnsPath string, command []string) (int, error) {
	quoted := make([]string, len(command))
	for i, a := range command {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	script := fmt.Sprintf("setsid nsenter --net=%s -- %s </dev/null >/dev/null 2>&1 & echo $!", netnsPath, strings.Join(quoted, " "))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "-c", script).Output()
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 0, fmt.Errorf("pid %q: %w", out, err)
	}
	// setsid and nsenter exec in turn under this PID: wait until it is the
	// command itself, or the caller would look at a process not yet in the
	// namespace.
	want, err := exec.LookPath(command[0])
	if err == nil {
		want, err = filepath.EvalSymlinks(want)
	}
	if err != nil {
		return pid, fmt.Errorf("resolve %s: %w", command[0], err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == want {
			return pid, nil
		}
	}
	return pid, fmt.Errorf("pid %d did not exec %s", pid, want)
}

func (leak *Leak) remove(t testing.TB, l *lab.Lab) {
	if leak.PID > 0 {
		_ = syscall.Kill(leak.PID, syscall.SIGKILL)
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if !ProcessAlive(leak.PID) {
				break
			}
		}
		l.ForgetLeak(leak.PID)
	}
	if leak.Name != "" {
		_ = exec.Command("ip", "netns", "delete", leak.Name).Run()
	}
	// The veth dies with the namespace, which the kernel tears down
	// asynchronously; give it a moment, then delete it if something still holds it.
	nodeNS := leak.nodeNetns
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !vethExists(nodeNS, leak.HostVeth) {
			return
		}
	}
	if ns, err := netns.GetFromPath(nodeNS); err == nil {
		defer ns.Close()
		if h, err := netlink.NewHandleAt(ns); err == nil {
			defer h.Close()
			if link, err := h.LinkByName(leak.HostVeth); err == nil {
				if err := h.LinkDel(link); err != nil && vethExists(nodeNS, leak.HostVeth) {
					t.Errorf("faults: delete leaked veth %s: %v", leak.HostVeth, err)
				}
			}
		}
	}
}

func vethExists(netnsPath, name string) bool {
	ns, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return false
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return false
	}
	defer h.Close()
	_, err = h.LinkByName(name)
	return err == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
