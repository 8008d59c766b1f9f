package nsscan

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns/netnstest"
)

// benchSizes are the pod counts the issue asks about: 300 for the comparison
// with the seed pipeline (bench/nsscan.sh), up to 3,000 to show the scan grows
// linearly (compare the ns/netns metric across sizes).
var benchSizes = []int{300, 1000, 3000}

// BenchmarkScan measures the whole in-process equivalent of the seeds'
// `lsns -t net | xargs nsenter ip addr` plus the analysis: enumerate every
// namespace on the machine, read each one's links and addresses, read every
// process, find duplicates. The fixture is what a node with N pods looks like:
// N processes, each in its own namespace with lo and an eth0 veth (address set)
// whose peer sits in a node namespace. It grows once per size, outside the
// timer (only for the sizes -bench selects), and is removed when the benchmark
// ends.
func BenchmarkScan(b *testing.B) {
	netnstest.SkipUnlessRoot(b)
	fx := newBenchFixture(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("netns=%d", n), func(b *testing.B) {
			fx.grow(b, n) // idempotent; b.Loop starts the timer after it
			opts := Options{BindDirs: []string{fx.dir}}
			var found int
			b.ReportAllocs()
			for b.Loop() {
				inv, err := Scan(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				_ = analyze(facts{Namespaces: inv.Namespaces, Procs: inv.Procs, NSOfPID: inv.NSOfPID,
					ShimArgs: inv.ShimArgs, SandboxesKnown: false})
				found = len(inv.Namespaces)
			}
			if found < n {
				b.Fatalf("scan found %d namespaces, the fixture alone has %d", found, n)
			}
			b.ReportMetric(float64(found), "netns")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(found), "ns/netns")
		})
	}
}

// BenchmarkScanOwnedByAPI is BenchmarkScan with ownership decided the way the
// node probe does it: every pod of the fixture listed as an API pod with its
// IP, each namespace's cgroup read for a pod UID (these processes name none,
// so every pod is matched by IP, the slower path), leaks and shims judged.
func BenchmarkScanOwnedByAPI(b *testing.B) {
	netnstest.SkipUnlessRoot(b)
	fx := newBenchFixture(b)
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("netns=%d", n), func(b *testing.B) {
			fx.grow(b, n)
			pods := make([]v1alpha1.NodePod, n)
			for i := range pods {
				pods[i] = v1alpha1.NodePod{Namespace: "bench", Name: fmt.Sprint("pod-", i),
					UID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), IPs: []string{fmt.Sprintf("198.18.%d.%d", 1+i/250, 1+i%250)}}
			}
			opts := Options{BindDirs: []string{fx.dir}}
			var owned int
			b.ReportAllocs()
			for b.Loop() {
				inv, err := Scan(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				f := facts{Namespaces: inv.Namespaces, Procs: inv.Procs, NSOfPID: inv.NSOfPID, ShimArgs: inv.ShimArgs,
					PodCIDR: netip.MustParsePrefix("198.18.0.0/16")}
				ownByAPI(&f, pods, "/proc")
				_ = analyze(f)
				owned = 0
				for _, ns := range f.Namespaces {
					if ns.Sandbox != nil && ns.Sandbox.Namespace == "bench" {
						owned++
					}
				}
			}
			if owned != n {
				b.Fatalf("%d of the fixture's %d namespaces owned by their API pod", owned, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/pod")
		})
	}
}

type benchFixture struct {
	dir   string
	node  *netlink.Handle
	procs []*exec.Cmd
}

func newBenchFixture(b *testing.B) *benchFixture {
	fx := &benchFixture{dir: b.TempDir()}
	node := netnstest.New(b)
	netnstest.BindMount(b, node, filepath.Join(fx.dir, "bench-node"))
	h, err := node.NetlinkHandle()
	if err != nil {
		b.Fatal(err)
	}
	fx.node = h
	b.Cleanup(func() {
		for _, c := range fx.procs {
			_ = c.Process.Kill()
		}
		for _, c := range fx.procs {
			_ = c.Wait()
		}
		h.Close()
	})
	return fx
}

// grow adds pods until the fixture has n. Only the processes hold the
// namespaces: no descriptor stays open per pod.
func (fx *benchFixture) grow(b *testing.B, n int) {
	for i := len(fx.procs); i < n; i++ {
		cmd := exec.Command("sleep", "infinity")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			b.Fatalf("pod %d: %v", i, err)
		}
		fx.procs = append(fx.procs, cmd)
		if err := fx.attach(i, cmd.Process.Pid); err != nil {
			b.Fatalf("pod %d: %v", i, err)
		}
	}
}

func (fx *benchFixture) attach(i, pid int) error {
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("nb%d", i)},
		PeerName: "eth0", PeerNamespace: netlink.NsPid(pid)}
	if err := fx.node.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth: %w", err)
	}
	ns, err := netns.OpenPID("/proc", pid)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		return err
	}
	ip := net.IPv4(198, 18, byte(1+i/250), byte(1+i%250))
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(16, 32)}, Flags: unix.IFA_F_NODAD}
	if err := h.AddrAdd(eth0, addr); err != nil {
		return fmt.Errorf("add %s: %w", ip, err)
	}
	for _, l := range []string{"lo", "eth0"} {
		link, err := h.LinkByName(l)
		if err == nil {
			err = h.LinkSetUp(link)
		}
		if err != nil {
			return fmt.Errorf("set %s up: %w", l, err)
		}
	}
	return nil
}
