package criclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/h2rpc"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/criclient"
	"google.golang.org/grpc"
)

const (
	ctrA = "4c01db0b339c4e0b8a7d2f4e3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
	ctrB = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestClientOverRealGRPC(t *testing.T) {
	sock := critest.Serve(t, &critest.Runtime{
		Sandboxes: []critest.Sandbox{
			{ID: "sb-web", Namespace: "default", Name: "web-1", UID: "u1", NetNSPath: "/var/run/netns/cni-web", PID: 4100},
			{ID: "sb-old", Namespace: "default", Name: "web-0", UID: "u0", NotReady: true},
			{ID: "sb-gone", Namespace: "default", Name: "web-x", VanishOnStatus: true},
		},
		Containers: []critest.Container{{ID: ctrA, PID: 4200}, {ID: ctrB, PID: 4300, OldCRIO: true}},
	})
	c, err := criclient.Dial(ctx(t), "unix://"+sock)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if c.Runtime() != "critest v0" {
		t.Errorf("Runtime() = %q", c.Runtime())
	}

	for id, want := range map[string]int{"containerd://" + ctrA: 4200, ctrB: 4300} {
		if pid, err := c.ContainerPID(ctx(t), id); err != nil || pid != want {
			t.Errorf("ContainerPID(%.24s) = %d, %v; want %d", id, pid, err, want)
		}
	}
	if _, err := c.ContainerPID(ctx(t), "0000"); err == nil {
		t.Error("ContainerPID(unknown) returned no error")
	}

	sbs, err := c.Sandboxes(ctx(t))
	if err != nil {
		t.Fatalf("Sandboxes: %v", err)
	}
	if len(sbs) != 2 {
		t.Fatalf("Sandboxes() = %+v; want sb-web and sb-old (sb-gone vanished)", sbs)
	}
	web, old := sbs[0], sbs[1]
	if web.ID != "sb-web" || web.NetNSPath != "/var/run/netns/cni-web" || web.PID != 4100 || !web.Ready() ||
		web.Namespace != "default" || web.Name != "web-1" || web.UID != "u1" {
		t.Errorf("web sandbox = %+v", web)
	}
	if old.ID != "sb-old" || old.Ready() || old.NetNSPath != "" || old.PID != 0 {
		t.Errorf("not-ready sandbox = %+v", old)
	}
}

// A busy node: the list is far past 64 KiB (the default HTTP/2 window) and
// 16 KiB (the default frame), so it takes many DATA frames and window updates;
// then one status call per sandbox on the same connection.
func TestManySandboxes(t *testing.T) {
	const n = 3000
	rt := &critest.Runtime{}
	for i := range n {
		rt.Sandboxes = append(rt.Sandboxes, critest.Sandbox{ID: fmt.Sprintf("%064x", i), Namespace: "prod",
			Name: fmt.Sprintf("a-rather-long-deployment-name-%d-5d8c7b9f4-x2x7q", i), UID: fmt.Sprintf("uid-%d", i),
			NetNSPath: fmt.Sprintf("/var/run/netns/cni-%d", i), PID: 1000 + i})
	}
	c, err := criclient.Dial(ctx(t), critest.Serve(t, rt))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sbs, err := c.Sandboxes(ctx(t))
	if err != nil || len(sbs) != n {
		t.Fatalf("Sandboxes = %d, %v; want %d", len(sbs), err, n)
	}
	last := sbs[n-1]
	if last.PID != 1000+n-1 || last.NetNSPath != fmt.Sprintf("/var/run/netns/cni-%d", n-1) || !last.Ready() {
		t.Errorf("last sandbox = %+v", last)
	}
}

// The runtime's NotFound keeps its code through the client's wrapping, and its
// message (percent-encoded on the wire for the non-ASCII and '%') reads as sent.
func TestNotFoundStatus(t *testing.T) {
	c, err := criclient.Dial(ctx(t), critest.Serve(t, &critest.Runtime{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ContainerPID(ctx(t), "café-100%")
	if h2rpc.CodeOf(err) != h2rpc.NotFound || !strings.Contains(err.Error(), `find container "café-100%": not found`) {
		t.Fatalf("ContainerPID(unknown) = %v; want NotFound naming the container", err)
	}
	if _, err := c.SandboxStatus(ctx(t), "gone"); !h2rpc.IsNotFound(err) {
		t.Fatalf("SandboxStatus(unknown) = %v; want NotFound", err)
	}
}

func TestDialDefaultTriesSocketsUnderHostRoot(t *testing.T) {
	root := t.TempDir()
	// Serve the fake runtime at CRI-O's default path under a fake host root:
	// containerd's path is missing, so the second candidate must answer.
	if err := os.MkdirAll(root+"/run/crio", 0o755); err != nil {
		t.Fatal(err)
	}
	critest.ServeAt(t, &critest.Runtime{}, root+"/run/crio/crio.sock")
	c, err := criclient.DialDefault(ctx(t), root, "")
	if err != nil {
		t.Fatalf("DialDefault: %v", err)
	}
	defer c.Close()
	if c.Endpoint() != "unix://"+root+"/run/crio/crio.sock" {
		t.Errorf("Endpoint() = %q", c.Endpoint())
	}

	if _, err := criclient.DialDefault(ctx(t), t.TempDir(), ""); err == nil {
		t.Error("DialDefault with no sockets returned no error")
	}
}

func TestDialRejectsNonCRISocket(t *testing.T) {
	dir := t.TempDir()
	if _, err := criclient.Dial(ctx(t), dir+"/missing.sock"); err == nil {
		t.Fatal("Dial(missing socket) returned no error")
	}
	// A gRPC server without the RuntimeService (think: a docker or containerd
	// API socket): Version answers Unimplemented and Dial must say so.
	lis, err := net.Listen("unix", dir+"/other.sock")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	if _, err := criclient.Dial(ctx(t), dir+"/other.sock"); err == nil {
		t.Fatal("Dial(non-CRI gRPC socket) returned no error")
	}
}

func TestResolverFallsBackToCgroupScan(t *testing.T) {
	sock := critest.Serve(t, &critest.Runtime{Containers: []critest.Container{{ID: ctrA, PID: 4200}}})
	c, err := criclient.Dial(ctx(t), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	procRoot := t.TempDir()
	mk := func(pid, ppid, cg string) {
		if err := os.MkdirAll(procRoot+"/"+pid, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(procRoot+"/"+pid+"/stat", []byte(pid+" (x) S "+ppid+" 0 0\n"), 0o644)
		_ = os.WriteFile(procRoot+"/"+pid+"/cgroup", []byte(cg), 0o644)
	}
	mk("77", "1", "0::/kubepods/besteffort/pod1/"+ctrB+"\n")

	r := criclient.Resolver{Client: c, ProcRoot: procRoot}
	if pid, how, err := r.ContainerPID(ctx(t), ctrA); err != nil || pid != 4200 || how != criclient.ViaCRI {
		t.Errorf("ContainerPID(A) = %d, %s, %v; want 4200 via cri", pid, how, err)
	}
	if pid, how, err := r.ContainerPID(ctx(t), ctrB); err != nil || pid != 77 || how != criclient.ViaCgroup {
		t.Errorf("ContainerPID(B) = %d, %s, %v; want 77 via cgroup", pid, how, err)
	}
	_, _, err = (criclient.Resolver{ProcRoot: procRoot}).ContainerPID(ctx(t), "containerd://"+ctrA)
	if !errors.Is(err, cri.ErrNotFound) {
		t.Errorf("ContainerPID without CRI for a container with no process: err = %v, want ErrNotFound", err)
	}
}

// TestRealRuntime runs against a real runtime when NETCHECK_CRI_SOCKET names one
// (e.g. the local test cluster's containerd): every ready sandbox with a network
// namespace must name a path that exists and a live PID.
func TestRealRuntime(t *testing.T) {
	sock := os.Getenv("NETCHECK_CRI_SOCKET")
	if sock == "" {
		t.Skip("NETCHECK_CRI_SOCKET not set (point it at a containerd/CRI-O socket to run)")
	}
	c, err := criclient.Dial(ctx(t), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sbs, err := c.Sandboxes(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d sandboxes", c.Runtime(), len(sbs))
	for _, sb := range sbs {
		if !sb.Ready() || sb.NetNSPath == "" {
			continue
		}
		if _, err := os.Stat(sb.NetNSPath); err != nil {
			t.Errorf("sandbox %s/%s: netns %s: %v", sb.Namespace, sb.Name, sb.NetNSPath, err)
		}
		if sb.PID > 0 {
			if _, err := os.Stat("/proc/" + strconv.Itoa(sb.PID)); err != nil {
				t.Errorf("sandbox %s/%s: pid %d: %v", sb.Namespace, sb.Name, sb.PID, err)
			}
		}
	}
}
