//go:build linux

package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netns"
)

// SkipUnlessRoot skips tests that create namespaces, links or iptables rules.
func SkipUnlessRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) (iproute2) to build test topologies")
	}
}

// NS is a named network namespace that lives for one test.
type NS struct {
	// Name is the name under /run/netns, usable with `ip netns exec`.
	Name   string
	handle netns.NsHandle
}

// nsSeq makes names unique within the process; the pid makes them unique across
// test binaries that run at the same time (other packages, other engineers).
var nsSeq atomic.Int64

// New creates an empty network namespace (only a down loopback, which New brings
// up) and deletes it when the test ends.
func New(t testing.TB) *NS {
	t.Helper()
	name := fmt.Sprintf("nct%d-%d", os.Getpid(), nsSeq.Add(1))
	MustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	ns := &NS{Name: name, handle: h}
	ns.IP(t, "link", "set", "lo", "up")
	return ns
}

// Handle is the namespace's file handle, for code that enters it by itself.
func (n *NS) Handle() netns.NsHandle { return n.handle }

// Do runs fn on a fresh OS thread switched into the namespace, and is the Enter
// hook the checks accept. Sockets fn opens stay in the namespace after Do
// returns; goroutines fn starts do NOT run in it (they may land on other threads).
// It follows the containernetworking ns.Do pattern: the thread is only unlocked
// (given back to the scheduler) when switching back succeeded.
func (n *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(n.handle); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter netns %s: %w", n.Name, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Keep the thread locked: the goroutine exits and the runtime
			// discards the thread instead of reusing it in the wrong netns.
			errc <- fmt.Errorf("return from netns %s: %w", n.Name, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// IP runs `ip -n NAME args...` and fails the test on error.
func (n *NS) IP(t testing.TB, args ...string) string {
	t.Helper()
	return MustRun(t, "ip", append([]string{"-n", n.Name}, args...)...)
}

// Exec runs a command inside the namespace (`ip netns exec`) and fails the test on error.
func (n *NS) Exec(t testing.TB, args ...string) string {
	t.Helper()
	return MustRun(t, "ip", append([]string{"netns", "exec", n.Name}, args...)...)
}

// IPTables adds a rule inside the namespace, e.g. IPTables(t, "-A", "INPUT", ...).
// The namespace's tables die with it, so there is nothing to undo.
func (n *NS) IPTables(t testing.TB, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("needs iptables(8)")
	}
	n.Exec(t, append([]string{"iptables", "-w"}, args...)...)
}

// Sysctl sets a sysctl inside the namespace, e.g. Sysctl(t, "net.ipv4.ip_forward", "1").
func (n *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	// Net sysctls belong to the netns of the thread that opens the file.
	if err := n.Do(func() error { return os.WriteFile(path, []byte(value), 0o644) }); err != nil {
		t.Fatalf("sysctl %s=%s in %s: %v", key, value, n.Name, err)
	}
}

// MustRun runs a command and returns its combined output, failing the test on error.
func MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
