package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// distEnv names the dist/ of a real goreleaser snapshot; `make test-release`
// sets it after `make release-snapshot`. Without it there is nothing real to
// check, and the fixture tests above cover the logic.
const distEnv = "NETCHECK_RELEASE_DIST"

func snapshotDist(t *testing.T) *dist {
	t.Helper()
	dir := os.Getenv(distEnv)
	if dir == "" {
		t.Skipf("%s is not set: run `make test-release` to check a real snapshot release", distEnv)
	}
	d, err := loadDist(dir)
	if err != nil {
		t.Fatalf("%s=%s: %v", distEnv, dir, err)
	}
	return d
}

// The manifest in dist/ is the template rendered for this release, byte for
// byte, and passes every krew rule against the archives beside it.
func TestSnapshotKrewManifest(t *testing.T) {
	d := snapshotDist(t)
	manifest := filepath.Join(d.dir, "krew", "netcheck.yaml")
	onDisk, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := render(templatePath, d.tag(), d.dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, fresh) {
		t.Errorf("%s is not krew/netcheck.yaml rendered for %s: rerun `make release-snapshot`", manifest, d.tag())
	}
	if err := checkManifest(manifest, d); err != nil {
		t.Fatal(err)
	}
}

// Every binary carries the release version; the probe archives ship the docs.
func TestSnapshotBinaries(t *testing.T) {
	d := snapshotDist(t)
	if err := checkRelease(d); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		pluginArchives: {"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"},
		probeArchives:  {"linux/amd64", "linux/arm64"},
	}
	for id, platforms := range want {
		var got []string
		for _, a := range d.archives(id) {
			got = append(got, a.Goos+"/"+a.Goarch)
		}
		slices.Sort(got)
		if !slices.Equal(got, platforms) {
			t.Errorf("%s archives are for %v, want %v", id, got, platforms)
		}
	}
	for _, b := range append(d.binaries(pluginArchives), d.binaries(probeArchives)...) {
		if st, err := os.Stat(d.file(b.Path)); err == nil {
			t.Logf("size %-7s %s/%s: %s", b.buildID(), b.Goos, b.Goarch, mib(st.Size()))
		}
	}
}

// The probe built for this machine runs and reports the release version: the
// stamp is not only in the build settings but in the variable itself.
func TestSnapshotProbeReportsVersion(t *testing.T) {
	d := snapshotDist(t)
	if runtime.GOOS != "linux" {
		t.Skip("the probe is a linux binary")
	}
	for _, b := range d.binaries(probeArchives) {
		if b.Goarch != runtime.GOARCH {
			continue
		}
		out, err := exec.Command(d.file(b.Path), "version").CombinedOutput()
		if err != nil {
			t.Fatalf("netcheck-probe version: %v: %s", err, out)
		}
		if !strings.Contains(string(out), " "+d.meta.Version+" ") {
			t.Fatalf("netcheck-probe version printed %q, want version %s", out, d.meta.Version)
		}
		return
	}
	t.Fatalf("no linux/%s probe in %s", runtime.GOARCH, d.dir)
}

// The plugin built for this machine prints its version and, from it, the probe
// image it will run: the reference the released image is tagged with.
func TestSnapshotPluginReportsVersion(t *testing.T) {
	d := snapshotDist(t)
	for _, b := range d.binaries(pluginArchives) {
		if b.Goos != runtime.GOOS || b.Goarch != runtime.GOARCH {
			continue
		}
		out, err := exec.Command(d.file(b.Path), "version").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl-netcheck version: %v: %s", err, out)
		}
		for _, want := range []string{"kubectl-netcheck " + d.meta.Version, "ghcr.io/kubectl-netcheck/netcheck-probe:" + d.meta.Version} {
			if !strings.Contains(string(out), want) {
				t.Errorf("kubectl-netcheck version printed %q, want it to say %q", out, want)
			}
		}
		return
	}
	t.Fatalf("no %s/%s plugin in %s", runtime.GOOS, runtime.GOARCH, d.dir)
}

// The probe image of the build machine's arch: a docker-archive listed in
// checksums.txt, tagged for the local cluster and for the released default
// --image, holding a stamped probe for the right architecture.
func TestSnapshotProbeImage(t *testing.T) {
	d := snapshotDist(t)
	name := fmt.Sprintf("netcheck-probe_v%s_linux_%s.image.tar", d.meta.Version, runtime.GOARCH)
	file := filepath.Join(d.dir, name)
	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("the probe image hook left no %s: %v", name, err)
	}
	t.Logf("size image linux/%s: %s", runtime.GOARCH, mib(st.Size()))
	if err := checkListed(d, name); err != nil {
		t.Fatal(err)
	}
	img := readDockerArchive(t, file)
	tag := strings.TrimPrefix(d.meta.Version, "v")
	for _, ref := range []string{"localhost/netcheck/netcheck-probe:" + tag, "ghcr.io/kubectl-netcheck/netcheck-probe:" + tag} {
		if !slices.Contains(img.repoTags, ref) {
			t.Errorf("image tags %v lack %s", img.repoTags, ref)
		}
	}
	if img.arch != runtime.GOARCH || img.os != "linux" {
		t.Errorf("image config says %s/%s, want linux/%s", img.os, img.arch, runtime.GOARCH)
	}
	probe := filepath.Join(t.TempDir(), "netcheck-probe")
	if err := os.WriteFile(probe, img.probe, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkStamp(probe, d.meta.Version); err != nil {
		t.Errorf("probe in the image: %v", err)
	}
}

type dockerImage struct {
	repoTags []string
	os, arch string
	probe    []byte
}

// readDockerArchive reads the `docker save` layout image/ writes: manifest.json,
// a config blob and one layer tar holding /netcheck-probe.
func readDockerArchive(t *testing.T, file string) dockerImage {
	t.Helper()
	blobs := untar(t, mustOpen(t, file))
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(blobs["manifest.json"], &manifest); err != nil || len(manifest) != 1 || len(manifest[0].Layers) != 1 {
		t.Fatalf("manifest.json of %s: %v %+v", file, err, manifest)
	}
	var cfg struct{ OS, Architecture string }
	if err := json.Unmarshal(blobs[manifest[0].Config], &cfg); err != nil {
		t.Fatalf("image config: %v", err)
	}
	layer := untar(t, bytes.NewReader(blobs[manifest[0].Layers[0]]))
	return dockerImage{repoTags: manifest[0].RepoTags, os: cfg.OS, arch: cfg.Architecture, probe: layer["netcheck-probe"]}
}

func untar(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s: %v", h.Name, err)
		}
		out[strings.TrimPrefix(h.Name, "./")] = data
	}
}

func mustOpen(t *testing.T, file string) io.Reader {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n) }
