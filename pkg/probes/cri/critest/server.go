// Package critest serves the CRI RuntimeService calls netcheck uses (Version,
// ListPodSandbox, PodSandboxStatus, ContainerStatus) over a real unix socket
// with real gRPC, answering with the verbose info a runtime would. Tests use it
// to stand in for containerd or CRI-O when no runtime runs on the machine; the
// namespaces and processes the answers point at are real ones the test creates.
package critest

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Sandbox is one pod sandbox the fake runtime reports.
type Sandbox struct {
	ID, Namespace, Name, UID string
	NotReady                 bool
	// NetNSPath and PID go into the verbose info, containerd style.
	NetNSPath string
	PID       int
	// VanishOnStatus makes PodSandboxStatus answer NotFound, as when the
	// sandbox is removed between ListPodSandbox and the status call.
	VanishOnStatus bool
}

// Container is one container the fake runtime reports.
type Container struct {
	ID  string
	PID int
	// OldCRIO puts the PID at the top level of Info as a string, as CRI-O before
	// 1.20 did, instead of containerd's info["info"] JSON.
	OldCRIO bool
}

// Runtime is the fake runtime's state.
type Runtime struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	Sandboxes  []Sandbox
	Containers []Container
}

// Serve starts a gRPC server for rt on a unix socket in a temp dir and returns
// the socket path; the server stops when the test ends.
func Serve(t testing.TB, rt *Runtime) string {
	t.Helper()
	return ServeAt(t, rt, filepath.Join(t.TempDir(), "cri.sock"))
}

// ServeAt is Serve on a socket path of the caller's choosing, e.g. a runtime's
// default path under a fake host root.
func ServeAt(t testing.TB, rt *Runtime, sock string) string {
	t.Helper()
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen on %s: %v", sock, err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, rt)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return sock
}

func (rt *Runtime) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "critest", RuntimeVersion: "v0", RuntimeApiVersion: "v1"}, nil
}

func (rt *Runtime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	resp := &runtimeapi.ListPodSandboxResponse{}
	for _, s := range rt.Sandboxes {
		resp.Items = append(resp.Items, &runtimeapi.PodSandbox{
			Id:       s.ID,
			Metadata: &runtimeapi.PodSandboxMetadata{Name: s.Name, Namespace: s.Namespace, Uid: s.UID},
			State:    state(s),
		})
	}
	return resp, nil
}

func (rt *Runtime) PodSandboxStatus(_ context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	for _, s := range rt.Sandboxes {
		if s.ID != req.GetPodSandboxId() || s.VanishOnStatus {
			continue
		}
		info := map[string]any{"pid": s.PID, "processStatus": "running", "netNamespaceClosed": false,
			"sandboxMetadata": map[string]any{"ID": s.ID, "NetNSPath": s.NetNSPath}}
		if s.NetNSPath != "" {
			info["runtimeSpec"] = map[string]any{"linux": map[string]any{"namespaces": []map[string]string{
				{"type": "pid"}, {"type": "network", "path": s.NetNSPath}}}}
		}
		resp := &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{
			Id:       s.ID,
			Metadata: &runtimeapi.PodSandboxMetadata{Name: s.Name, Namespace: s.Namespace, Uid: s.UID},
			State:    state(s),
		}}
		if req.GetVerbose() {
			resp.Info = map[string]string{"info": mustJSON(info)}
		}
		return resp, nil
	}
	return nil, status.Errorf(codes.NotFound, "an error occurred when try to find sandbox %q: not found", req.GetPodSandboxId())
}

func (rt *Runtime) ContainerStatus(_ context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	for _, c := range rt.Containers {
		if c.ID != req.GetContainerId() {
			continue
		}
		resp := &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{
			Id: c.ID, State: runtimeapi.ContainerState_CONTAINER_RUNNING}}
		if req.GetVerbose() {
			if c.OldCRIO {
				resp.Info = map[string]string{"sandboxID": "old", "pid": strconv.Itoa(c.PID), "runtimeSpec": "{}"}
			} else {
				resp.Info = map[string]string{"info": mustJSON(map[string]any{"pid": c.PID, "sandboxID": "s"})}
			}
		}
		return resp, nil
	}
	return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", req.GetContainerId())
}

func state(s Sandbox) runtimeapi.PodSandboxState {
	if s.NotReady {
		return runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	}
	return runtimeapi.PodSandboxState_SANDBOX_READY
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
