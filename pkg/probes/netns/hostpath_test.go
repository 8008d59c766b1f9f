package netns

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHostPath(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"run/netns", "run/containerd", "opt/state"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"var/run":       "/run",         // the Debian/Ubuntu layout: absolute
		"run/k3s":       "../opt/state", // relative
		"run/loop":      "/run/loop",    // a loop
		"opt/escape":    "../../../..",  // tries to climb out of root
		"opt/state/abs": "/run/netns",
	}
	if err := os.MkdirAll(filepath.Join(root, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"/var/run/netns/cni-1", root + "/run/netns/cni-1"},
		{"/var/run/containerd/containerd.sock", root + "/run/containerd/containerd.sock"},
		{"/run/k3s/containerd.sock", root + "/opt/state/containerd.sock"},
		{"/run/k3s/abs/x", root + "/run/netns/x"},
		{"/opt/escape/etc/passwd", root + "/etc/passwd"},
		{"/missing/dir/file", root + "/missing/dir/file"},
		{"/", root + "/"},
	} {
		got, err := HostPath(root, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("HostPath(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := HostPath(root, "/run/loop/x"); err == nil {
		t.Error("HostPath through a symlink loop returned no error")
	}
	if got, _ := HostPath("", "/var/run/x"); got != "/var/run/x" {
		t.Errorf("HostPath with no root = %q", got)
	}
}
