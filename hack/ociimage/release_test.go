package main

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"
)

// releaseDistEnv names the dist of a real goreleaser snapshot (set by `make
// test-release`, after `make release-snapshot` wrote the image there).
const releaseDistEnv = "NETCHECK_RELEASE_DIST"

// snapshotImage returns the multi-arch image of the snapshot, or "" without one.
func snapshotImage(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(releaseDistEnv)
	if dir == "" {
		return ""
	}
	rel, err := loadRelease(dir)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, fmt.Sprintf("netcheck-probe_v%s_linux_multiarch.oci.tar", rel.version))
}

// The real image holds, per architecture, the very probe goreleaser built,
// stamped with the release version.
func TestSnapshotMultiArchImage(t *testing.T) {
	file := snapshotImage(t)
	if file == "" {
		t.Skipf("%s is not set: run `make test-release` to check a real snapshot", releaseDistEnv)
	}
	rel, err := loadRelease(filepath.Dir(file))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("size multi-arch OCI image: %.1f MiB (%d bytes)", float64(st.Size())/(1<<20), st.Size())
	verifySha256File(t, file)
	img := verifyLayout(t, file)
	if len(img.probes) != len(rel.probes) {
		t.Fatalf("index has %d platforms, the release built %d probes", len(img.probes), len(rel.probes))
	}
	for _, b := range rel.probes {
		want, err := os.ReadFile(b.path)
		if err != nil {
			t.Fatal(err)
		}
		got := img.probes[b.platform.Architecture]
		if string(got) != string(want) {
			t.Errorf("linux/%s image does not hold %s", b.platform.Architecture, b.path)
		}
		// -trimpath drops -ldflags from the build info, so the stamp is looked
		// for as the string -X put in the binary.
		if !bytes.Contains(got, []byte(rel.version)) {
			t.Errorf("probe linux/%s is not stamped with %s", b.platform.Architecture, rel.version)
		}
		info, err := buildinfo.ReadFile(b.path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(info.Settings, debug.BuildSetting{Key: "CGO_ENABLED", Value: "0"}) {
			t.Errorf("probe linux/%s is not a static build: %v", b.platform.Architecture, info.Settings)
		}
	}
}
