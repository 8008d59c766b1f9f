package criclient

import "testing"

func TestConfigRuntimeEndpoint(t *testing.T) {
	for name, tc := range map[string]struct{ file, want string }{
		"yaml": {want: "unix:///run/containerd/containerd.sock",
			file: "kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n"},
		"yaml nested key is not the kubelet's": {want: "",
			file: "kind: KubeletConfiguration\nnested:\n  containerRuntimeEndpoint: unix:///wrong.sock\n"},
		"json": {want: "unix:///run/crio/crio.sock",
			file: "\n{\n  \"kind\": \"KubeletConfiguration\",\n  \"nested\": {\"x\": 1},\n  \"containerRuntimeEndpoint\": \"unix:///run/crio/crio.sock\"\n}\n"},
		"json without the key": {want: "", file: `{"kind": "KubeletConfiguration"}`},
	} {
		if got := configRuntimeEndpoint([]byte(tc.file)); got != tc.want {
			t.Errorf("%s: configRuntimeEndpoint = %q, want %q", name, got, tc.want)
		}
	}
}
