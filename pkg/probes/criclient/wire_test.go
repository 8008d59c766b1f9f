package criclient

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The hand decoders read what the generated cri-api code writes, every field
// set (so the ones we skip are on the wire too), plus a field number from the
// future, which must be skipped.
func TestDecodersReadGeneratedMessages(t *testing.T) {
	future := protowire.AppendString(protowire.AppendTag(nil, 999, protowire.BytesType), "from a newer runtime")
	future = protowire.AppendFixed64(protowire.AppendTag(future, 998, protowire.Fixed64Type), 7)
	marshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, future...)
	}
	md := &runtimeapi.PodSandboxMetadata{Name: "web-0", Uid: "u-1", Namespace: "prod", Attempt: 3}
	labels := map[string]string{"app": "web", "io.kubernetes.pod.name": "web-0"}

	v, err := decodeVersionResponse(marshal(&runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "containerd",
		RuntimeVersion: "v2.1.4", RuntimeApiVersion: "v1"}))
	if err != nil || v != (versionResponse{"containerd", "v2.1.4", "v1"}) {
		t.Errorf("Version = %+v, %v", v, err)
	}

	cs, err := decodeContainerStatusResponse(marshal(&runtimeapi.ContainerStatusResponse{
		Status: &runtimeapi.ContainerStatus{Id: "c1", State: runtimeapi.ContainerState_CONTAINER_EXITED, ExitCode: 2,
			Labels: labels, Metadata: &runtimeapi.ContainerMetadata{Name: "app"}},
		Info: map[string]string{"info": `{"pid":42}`, "other": ""},
	}))
	if err != nil || cs.State != "CONTAINER_EXITED" || len(cs.Info) != 2 || cs.Info["info"] != `{"pid":42}` {
		t.Errorf("ContainerStatus = %+v, %v", cs, err)
	}

	ss, err := decodePodSandboxStatusResponse(marshal(&runtimeapi.PodSandboxStatusResponse{
		Status: &runtimeapi.PodSandboxStatus{Id: "sb1", Metadata: md, State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
			CreatedAt: 1700000000123456789, Labels: labels,
			Network: &runtimeapi.PodSandboxNetworkStatus{Ip: "10.244.1.5"}},
		Info:      map[string]string{"info": "{}"},
		Timestamp: 5,
	}))
	want := podSandbox{ID: "sb1", Name: "web-0", UID: "u-1", Namespace: "prod", State: "SANDBOX_NOTREADY", CreatedAt: 1700000000123456789}
	if err != nil || !ss.HasStatus || ss.Status != want || ss.Info["info"] != "{}" {
		t.Errorf("PodSandboxStatus = %+v, %v", ss, err)
	}

	list, err := decodeListPodSandboxResponse(marshal(&runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{
		{Id: "sb1", Metadata: md, State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY, CreatedAt: 1700000000123456789, Labels: labels},
		{Id: "sb2", Metadata: &runtimeapi.PodSandboxMetadata{Name: "x"}}, // state READY is 0: left off the wire
	}}))
	if err != nil || len(list) != 2 || list[0] != want || list[1] != (podSandbox{ID: "sb2", Name: "x", State: "SANDBOX_READY"}) {
		t.Errorf("ListPodSandbox = %+v, %v", list, err)
	}

	for _, bad := range [][]byte{{0x0a, 0x05, 'a'}, {0x80}} {
		if _, err := decodeListPodSandboxResponse(bad); err == nil {
			t.Errorf("decode(% x) accepted a truncated message", bad)
		}
	}
}

// The requests decode as the generated types: what a real runtime parses.
func TestRequestsAreWhatGeneratedCodeReads(t *testing.T) {
	var cs runtimeapi.ContainerStatusRequest
	if err := proto.Unmarshal(encodeStatusRequest("abc", true), &cs); err != nil || cs.ContainerId != "abc" || !cs.Verbose {
		t.Errorf("ContainerStatusRequest = %v, %v", &cs, err)
	}
	var ps runtimeapi.PodSandboxStatusRequest
	if err := proto.Unmarshal(encodeStatusRequest("sb", false), &ps); err != nil || ps.PodSandboxId != "sb" || ps.Verbose {
		t.Errorf("PodSandboxStatusRequest = %v, %v", &ps, err)
	}
	var v runtimeapi.VersionRequest
	if err := proto.Unmarshal(encodeVersionRequest(), &v); err != nil || v.Version != "v1" {
		t.Errorf("VersionRequest = %v, %v", &v, err)
	}
}

// bigList is a busy node's ListPodSandbox: n sandboxes with the labels and
// annotations the kubelet sets.
func bigList(tb testing.TB, n int) []byte {
	resp := &runtimeapi.ListPodSandboxResponse{}
	for i := range n {
		resp.Items = append(resp.Items, &runtimeapi.PodSandbox{
			Id:       fmt.Sprintf("%064x", i),
			Metadata: &runtimeapi.PodSandboxMetadata{Name: fmt.Sprintf("web-%d", i), Uid: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), Namespace: "prod"},
			Labels: map[string]string{"app": "web", "io.kubernetes.pod.name": fmt.Sprintf("web-%d", i),
				"io.kubernetes.pod.namespace": "prod", "io.kubernetes.pod.uid": fmt.Sprintf("%08x", i)},
			Annotations: map[string]string{"kubernetes.io/config.seen": "2026-12-07T00:00:00Z", "kubernetes.io/config.source": "api"},
			CreatedAt:   int64(i),
		})
	}
	b, err := proto.Marshal(resp)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodeListPodSandbox decodes a 5000-sandbox list (~2 MB).
func BenchmarkDecodeListPodSandbox(b *testing.B) {
	raw := bigList(b, 5000)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		items, err := decodeListPodSandboxResponse(raw)
		if err != nil || len(items) != 5000 {
			b.Fatalf("%d items, %v", len(items), err)
		}
	}
}
