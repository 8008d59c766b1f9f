package criclient_test

import (
	"context"
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
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
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
	c, err := criclient.DialDefault(ctx(t), root)
	if err != nil {
		t.Fatalf("DialDefault: %v", err)
	}
	defer c.Close()
	if c.Endpoint() != "unix://"+root+"/run/crio/crio.sock" {
		t.Errorf("Endpoint() = %q", c.Endpoint())
	}

	if _, err := criclient.DialDefault(ctx(t), t.TempDir()); err == nil {
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

// labSocket is the local test cluster's first node's containerd.
const labSocket = "/var/lib/netcheck-lab/run/netcheck-node1/containerd.sock"

// TestRealRuntime runs against a real containerd: NETCHECK_CRI_SOCKET, else
// the local lab's when it exists. Version names containerd; every ready
// sandbox's namespace exists and is the one its pause process is in; the
// pause process's container is found by ContainerPID through its cgroup's
// container ID (the sandbox ID), and NotFound comes back for an unknown one.
func TestRealRuntime(t *testing.T) {
	sock := os.Getenv("NETCHECK_CRI_SOCKET")
	if sock == "" {
		sock = labSocket
	}
	if _, err := os.Stat(strings.TrimPrefix(sock, "unix://")); err != nil {
		t.Skipf("no runtime socket (%v): set NETCHECK_CRI_SOCKET or start the lab cluster", err)
	}
	c, err := criclient.Dial(ctx(t), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.HasPrefix(c.Runtime(), "containerd ") {
		t.Errorf("Runtime() = %q, want containerd", c.Runtime())
	}
	sbs, err := c.Sandboxes(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d sandboxes", c.Runtime(), len(sbs))
	checked, containers := 0, 0
	for _, sb := range sbs {
		if !sb.Ready() || sb.NetNSPath == "" {
			continue
		}
		nsID, err := netns.StatID(sb.NetNSPath)
		if err != nil {
			t.Errorf("sandbox %s/%s: netns %s: %v", sb.Namespace, sb.Name, sb.NetNSPath, err)
			continue
		}
		if sb.PID <= 0 {
			t.Errorf("sandbox %s/%s: no pause PID", sb.Namespace, sb.Name)
			continue
		}
		if pidNS, err := netns.StatID("/proc/" + strconv.Itoa(sb.PID) + "/ns/net"); err != nil || pidNS != nsID {
			t.Errorf("sandbox %s/%s: pid %d in %v (%v), want its netns %s", sb.Namespace, sb.Name, sb.PID, pidNS, err, nsID)
		}
		// An app container of the pod, named by its processes' cgroup: the
		// runtime's PID for it must live in the sandbox's namespace.
		if id := appContainerIn(t, nsID, sb.PID); id != "" {
			pid, err := c.ContainerPID(ctx(t), "containerd://"+id)
			if pidNS, _ := netns.StatID("/proc/" + strconv.Itoa(pid) + "/ns/net"); err != nil || pidNS != nsID {
				t.Errorf("ContainerPID(%.12s of %s/%s) = %d (%v), %v; want a process in %s", id, sb.Namespace, sb.Name, pid, pidNS, err, nsID)
			}
			containers++
		}
		if got, err := c.PodSandbox(ctx(t), sb.UID); err != nil || got.ID != sb.ID || got.PID != sb.PID {
			t.Errorf("PodSandbox(%s) = %+v, %v; want %s", sb.UID, got, err, sb.ID)
		}
		checked++
	}
	if checked == 0 || containers == 0 {
		t.Errorf("checked %d ready sandboxes and %d containers: want some of each", checked, containers)
	}
	if _, err := c.ContainerPID(ctx(t), strings.Repeat("0", 64)); !h2rpc.IsNotFound(err) {
		t.Errorf("ContainerPID(unknown) = %v, want NotFound", err)
	}
}

// appContainerIn is the container ID in the cgroup of a process in namespace
// id other than the pause process, "" if none.
func appContainerIn(t *testing.T, id netns.ID, pausePID int) string {
	pids, err := netns.ListPIDs("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if pid == pausePID {
			continue
		}
		if got, err := netns.StatID("/proc/" + strconv.Itoa(pid) + "/ns/net"); err != nil || got != id {
			continue
		}
		if cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup"); err == nil {
			if ctr := cri.ContainerIDFromCgroup(string(cg)); ctr != "" {
				return ctr
			}
		}
	}
	return ""
}
