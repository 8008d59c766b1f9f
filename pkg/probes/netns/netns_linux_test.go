package netns_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns/netnstest"
)

func TestOpenRejectsWhatIsNotANetworkNamespace(t *testing.T) {
	if _, err := netns.Open("/proc/self/ns/uts"); err == nil || !strings.Contains(err.Error(), "another type") {
		t.Errorf("Open(uts namespace) err = %v, want 'another type'", err)
	}
	plain := filepath.Join(t.TempDir(), "not-a-namespace")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := netns.Open(plain); err == nil {
		t.Error("Open(regular file) returned no error")
	}
	if _, err := netns.Open("/nonexistent/ns"); err == nil {
		t.Error("Open(missing path) returned no error")
	}
}

func TestOpenPIDAndCurrentAgree(t *testing.T) {
	self, err := netns.OpenPID("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	cur, err := netns.Current()
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if self.ID() != cur.ID() || self.ID().Ino == 0 {
		t.Fatalf("OpenPID(self) = %v, Current() = %v", self.ID(), cur.ID())
	}
	if id, err := netns.StatID("/proc/self/ns/net"); err != nil || id != cur.ID() {
		t.Fatalf("StatID(/proc/self/ns/net) = %v, %v; want %v", id, err, cur.ID())
	}
}

// threadNS is the namespace of the calling OS thread.
func threadNS(t *testing.T) netns.ID {
	t.Helper()
	id, err := netns.StatID("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestDoRunsInsideAndRestores(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	ns := netnstest.New(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNS(t)
	if before == ns.ID() {
		t.Fatal("fixture namespace equals the test's own")
	}

	var inside netns.ID
	var links []string
	err := ns.Do(func() error {
		inside = threadNS(t)
		// The package-level netlink handle opens its socket on the calling
		// thread, so inside Do it sees the namespace's links: only lo.
		ls, err := netlink.LinkList()
		for _, l := range ls {
			links = append(links, l.Attrs().Name)
		}
		return err
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if inside != ns.ID() {
		t.Errorf("inside Do the thread was in %v, want %v", inside, ns.ID())
	}
	if !slices.Equal(links, []string{"lo"}) {
		t.Errorf("links inside a fresh namespace = %v, want [lo]", links)
	}
	if after := threadNS(t); after != before {
		t.Errorf("caller's thread moved from %v to %v", before, after)
	}

	sentinel := errors.New("from fn")
	if err := ns.Do(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do did not return fn's error: %v", err)
	}
}

// TestSocketIsUsableFromAnyGoroutine: a listener and a client socket are both
// created inside a fresh namespace; the connect and the accept then happen on
// ordinary goroutines. The connection must reach the namespace's loopback, which
// nothing else can.
func TestSocketIsUsableFromAnyGoroutine(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	ns := netnstest.New(t)
	netnstest.AddAddr(t, ns, "lo", "127.0.0.1/8") // lo needs to be up; the address is already there
	lnFile, err := ns.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(int(lnFile.Fd()), sa); err != nil {
		t.Fatalf("bind in namespace: %v", err)
	}
	if err := unix.Listen(int(lnFile.Fd()), 1); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(lnFile)
	if err != nil {
		t.Fatal(err)
	}
	lnFile.Close()
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	accepted := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		buf := make([]byte, 5)
		n, _ := c.Read(buf)
		accepted <- string(buf[:n])
	}()

	cliFile, err := ns.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cliFile.Close()
	done := make(chan error, 1)
	go func() { // a goroutine on whatever thread: the socket carries the namespace
		if err := unix.Connect(int(cliFile.Fd()), &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
			done <- err
			return
		}
		_, err := unix.Write(int(cliFile.Fd()), []byte("hello"))
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatalf("connect/write from another goroutine: %v", err)
	}
	if got := <-accepted; got != "hello" {
		t.Fatalf("listener in the namespace got %q, want hello", got)
	}
}

func TestListFindsProcessAndBindMountHeldNamespaces(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	dir := t.TempDir()
	bindDir := filepath.Join(dir, "netns")
	if err := os.Mkdir(bindDir, 0o755); err != nil {
		t.Fatal(err)
	}

	proc := netnstest.StartHolder(t)         // held by a process only
	procAndMount := netnstest.StartHolder(t) // held by a process and a bind mount
	mounted := netnstest.New(t)              // held by a bind mount only
	elsewhere := netnstest.New(t)            // bind-mounted outside the bind dirs
	netnstest.BindMount(t, procAndMount.NS, filepath.Join(bindDir, "cni-both"))
	netnstest.BindMount(t, mounted, filepath.Join(bindDir, "cni-mounted"))
	netnstest.BindMount(t, elsewhere, filepath.Join(dir, "elsewhere"))
	// A placeholder file that is not mounted, as `ip netns` leaves on failure.
	if err := os.WriteFile(filepath.Join(bindDir, "stale"), nil, 0o444); err != nil {
		t.Fatal(err)
	}

	found, err := netns.List(netns.ListOptions{BindDirs: []string{bindDir, filepath.Join(dir, "missing")}})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[netns.ID]netns.Found{}
	for _, f := range found {
		if _, dup := byID[f.ID]; dup {
			t.Fatalf("namespace %v listed twice", f.ID)
		}
		byID[f.ID] = f
	}
	check := func(name string, id netns.ID, wantPID int, wantPaths []string) {
		t.Helper()
		f, ok := byID[id]
		if !ok {
			t.Errorf("%s: namespace %v not found", name, id)
			return
		}
		if wantPID != 0 && !slices.Equal(f.PIDs, []int{wantPID}) {
			t.Errorf("%s: PIDs = %v, want [%d]", name, f.PIDs, wantPID)
		}
		if wantPID == 0 && len(f.PIDs) != 0 {
			t.Errorf("%s: PIDs = %v, want none", name, f.PIDs)
		}
		if !slices.Equal(f.Paths, wantPaths) {
			t.Errorf("%s: Paths = %v, want %v", name, f.Paths, wantPaths)
		}
	}
	check("process-held", proc.NS.ID(), proc.PID, nil)
	check("process+mount", procAndMount.NS.ID(), procAndMount.PID, []string{filepath.Join(bindDir, "cni-both")})
	check("mount-only", mounted.ID(), 0, []string{filepath.Join(bindDir, "cni-mounted")})
	check("mount found via mountinfo", elsewhere.ID(), 0, []string{filepath.Join(dir, "elsewhere")})

	self, _ := netns.StatID("/proc/self/ns/net")
	if !slices.Contains(byID[self].PIDs, os.Getpid()) {
		t.Errorf("the test's own namespace does not list the test's PID")
	}
}

// TestListUnderHostRoot lays out a fake node root where /var/run is the usual
// absolute symlink to /run: the namespace under run/netns must be found once,
// through both default directories, at its real path.
func TestListUnderHostRoot(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "run/netns"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run", filepath.Join(root, "var/run")); err != nil {
		t.Fatal(err)
	}
	ns := netnstest.New(t)
	netnstest.BindMount(t, ns, filepath.Join(root, "run/netns/cni-1"))

	found, err := netns.List(netns.ListOptions{Root: root, SkipMountInfo: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		if f.ID == ns.ID() {
			got = f.Paths
		}
	}
	if want := []string{filepath.Join(root, "run/netns/cni-1")}; !slices.Equal(got, want) {
		t.Fatalf("paths of the bind-mounted namespace = %v, want %v", got, want)
	}
}
