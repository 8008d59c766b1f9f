package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The layout is checked by a real consumer: a private containerd (own root,
// state and socket under a temp dir, CRI disabled, so the cluster's containerd
// is never touched) imports it for every platform and unpacks the host's.
func TestContainerdImportsTheIndex(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting containerd needs root")
	}
	for _, tool := range []string{"containerd", "ctr"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	file := snapshotImage(t)
	if file == "" {
		dir, _ := fakeDist(t)
		var err error
		if file, err = run(dir); err != nil {
			t.Fatal(err)
		}
	}
	sock := startContainerd(t)
	ctr := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ctr", append([]string{"-a", sock, "-n", "netcheck-test"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ctr %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	ctr("images", "import", "--all-platforms", "--snapshotter", "native", file)
	refs := strings.Fields(ctr("images", "ls", "-q"))
	img := verifyLayout(t, file)
	for _, ref := range img.refs {
		if !slices.Contains(refs, ref) {
			t.Errorf("containerd lists %v, not %s", refs, ref)
		}
	}
	// `images check` walks index -> manifests -> config and layers of every
	// platform; "complete (2/2)" means both platforms' content is there, and
	// unpacked "true" that the host's layer matched its diff_id on extraction.
	check := ctr("images", "check", "--snapshotter", "native")
	t.Logf("ctr images check:\n%s", check)
	lines := strings.Split(strings.TrimSpace(check), "\n")[1:]
	if len(lines) != len(img.refs) {
		t.Fatalf("containerd checked %d images, want %d", len(lines), len(img.refs))
	}
	for _, line := range lines {
		if f := strings.Fields(line); !strings.Contains(line, "complete (2/2)") || f[len(f)-1] != "true" {
			t.Errorf("containerd finds the image incomplete or not unpacked: %s", line)
		}
	}
}

// startContainerd runs a throwaway containerd and returns its socket; the
// process is ours and is stopped by pid when the test ends.
func startContainerd(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netcheck-containerd-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "containerd.sock")
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc", filepath.Join(dir, "opt"))
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("containerd log:\n%s", log)
		}
		_ = os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err := exec.Command("ctr", "-a", sock, "version").Run(); err == nil {
			return sock
		}
	}
	t.Fatalf("containerd did not answer on %s within 30s", sock)
	return ""
}
