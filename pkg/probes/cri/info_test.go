package cri

import (
	"errors"
	"testing"
)

// Fixtures are trimmed from real Verbose responses (crictl inspect / inspectp -o json).
const (
	containerdContainerInfo = `{"sandboxID":"5d9f","pid":48213,"removing":false,"snapshotKey":"c1","snapshotter":"overlayfs",` +
		`"runtimeType":"io.containerd.runc.v2","runtimeSpec":{"ociVersion":"1.2.0","linux":{"namespaces":[{"type":"pid"},` +
		`{"type":"ipc","path":"/proc/48100/ns/ipc"},{"type":"network","path":"/proc/48100/ns/net"}]}}}`
	containerdSandboxInfo = `{"pid":48100,"processStatus":"running","netNamespaceClosed":false,"image":"registry.k8s.io/pause:3.10",` +
		`"runtimeSpec":{"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/cni-7d3c1a52-0b7e-4a4f-9d5e-1c2b3a4d5e6f"}]}},` +
		`"sandboxMetadata":{"ID":"5d9f","Name":"web-1_default_u1_0","NetNSPath":"/var/run/netns/cni-7d3c1a52-0b7e-4a4f-9d5e-1c2b3a4d5e6f"}}`
	containerdSandboxOnlyMetadata = `{"pid":0,"processStatus":"unknown","netNamespaceClosed":false,` +
		`"sandboxMetadata":{"NetNSPath":"/var/run/netns/cni-11111111-2222-3333-4444-555555555555"}}`
	containerdSandboxClosed = `{"pid":0,"processStatus":"deleted","netNamespaceClosed":true,` +
		`"sandboxMetadata":{"NetNSPath":"/var/run/netns/cni-gone"}}`
	containerdHostNetworkSandbox = `{"pid":1200,"runtimeSpec":{"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"}]}},` +
		`"sandboxMetadata":{"NetNSPath":""}}`
	crioSandboxInfo = `{"image":"registry.k8s.io/pause:3.10","pid":3321,"runtimeSpec":{"linux":{"namespaces":` +
		`[{"type":"network","path":"/var/run/netns/8b0c2b83-4f0c-4a55-a1a8-0c3d7e5f6a7b"},{"type":"ipc","path":"/var/run/ipcns/8b0c"}]}}}`
	crioSpoofedSandboxInfo = `{"runtimeSpec":{"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/aa11bb22-0000-1111-2222-333344445555"}]}}}`
	crioContainerInfo      = `{"sandboxID":"8b0c","pid":3390,"runtimeSpec":{"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/8b0c2b83"}]}}}`
)

func TestPIDFromInfo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		info    map[string]string
		want    int
		wantErr error
		anyErr  bool
	}{
		{name: "containerd container", info: map[string]string{"info": containerdContainerInfo}, want: 48213},
		{name: "containerd sandbox", info: map[string]string{"info": containerdSandboxInfo}, want: 48100},
		{name: "crio current container", info: map[string]string{"info": crioContainerInfo}, want: 3390},
		{name: "crio old top-level pid", info: map[string]string{"sandboxID": "8b0c", "pid": "3390", "runtimeSpec": "{}"}, want: 3390},
		{name: "crio spoofed infra has no pid", info: map[string]string{"info": crioSpoofedSandboxInfo}, wantErr: ErrNoPID},
		{name: "stopped container pid 0", info: map[string]string{"info": `{"pid":0}`}, wantErr: ErrNoPID},
		{name: "no info at all", info: nil, wantErr: ErrNoPID},
		{name: "garbage json", info: map[string]string{"info": `{"pid":`}, anyErr: true},
		{name: "garbage top-level pid", info: map[string]string{"pid": "abc"}, anyErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PIDFromInfo(tc.info)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("PIDFromInfo() err = %v, want %v", err, tc.wantErr)
				}
			case tc.anyErr:
				if err == nil {
					t.Fatalf("PIDFromInfo() = %d, want an error", got)
				}
			default:
				if err != nil || got != tc.want {
					t.Fatalf("PIDFromInfo() = %d, %v; want %d", got, err, tc.want)
				}
			}
		})
	}
}

func TestNetNSPathFromInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		info map[string]string
		want string
	}{
		{name: "containerd spec namespace", info: map[string]string{"info": containerdSandboxInfo},
			want: "/var/run/netns/cni-7d3c1a52-0b7e-4a4f-9d5e-1c2b3a4d5e6f"},
		{name: "containerd metadata only", info: map[string]string{"info": containerdSandboxOnlyMetadata},
			want: "/var/run/netns/cni-11111111-2222-3333-4444-555555555555"},
		{name: "containerd namespace closed", info: map[string]string{"info": containerdSandboxClosed}, want: ""},
		{name: "containerd hostNetwork pod", info: map[string]string{"info": containerdHostNetworkSandbox}, want: ""},
		{name: "crio sandbox", info: map[string]string{"info": crioSandboxInfo}, want: "/var/run/netns/8b0c2b83-4f0c-4a55-a1a8-0c3d7e5f6a7b"},
		{name: "crio spoofed infra", info: map[string]string{"info": crioSpoofedSandboxInfo}, want: "/var/run/netns/aa11bb22-0000-1111-2222-333344445555"},
		{name: "no verbose info", info: map[string]string{}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NetNSPathFromInfo(tc.info)
			if err != nil || got != tc.want {
				t.Fatalf("NetNSPathFromInfo() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := NetNSPathFromInfo(map[string]string{"info": "not json"}); err == nil {
		t.Fatal("NetNSPathFromInfo(garbage) returned no error")
	}
}
