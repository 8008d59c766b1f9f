package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeProbes writes two stand-in binaries and a dist/ that lists them the way
// goreleaser does, so the writer's whole path (artifacts.json included) runs.
func fakeDist(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "release")
	content := map[string][]byte{"amd64": []byte("probe built for amd64"), "arm64": []byte("probe built for arm64")}
	var arts []goreleaserArtifact
	for arch, data := range content {
		sub := filepath.Join(dir, "probe_linux_"+arch)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "netcheck-probe"), data, 0o755); err != nil {
			t.Fatal(err)
		}
		arts = append(arts, goreleaserArtifact{Path: "dist/release/probe_linux_" + arch + "/netcheck-probe",
			Goos: "linux", Goarch: arch, Type: "Binary", Extra: map[string]any{"ID": probeBuild}})
	}
	// A plugin binary and the checksums entry, as in a real artifacts.json.
	arts = append(arts,
		goreleaserArtifact{Path: "dist/release/plugin_linux_amd64_v1/kubectl-netcheck", Goos: "linux", Goarch: "amd64",
			Type: "Binary", Extra: map[string]any{"ID": "plugin"}},
		goreleaserArtifact{Path: "dist/release/checksums.txt", Type: "Checksum"})
	writeJSONFile(t, filepath.Join(dir, "artifacts.json"), arts)
	writeJSONFile(t, filepath.Join(dir, "metadata.json"), map[string]string{"version": "1.2.3"})
	return dir, content
}

func TestWritesAMultiArchIndex(t *testing.T) {
	dir, content := fakeDist(t)
	out, err := run(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "netcheck-probe_v1.2.3_linux_multiarch.oci.tar"); out != want {
		t.Fatalf("wrote %s, want %s", out, want)
	}
	img := verifyLayout(t, out)
	wantRefs := []string{"localhost/netcheck/netcheck-probe:1.2.3", "ghcr.io/kubectl-netcheck/netcheck-probe:1.2.3"}
	if !slices.Equal(img.refs, wantRefs) {
		t.Errorf("refs %v, want %v", img.refs, wantRefs)
	}
	for arch, want := range content {
		if got := img.probes[arch]; !bytes.Equal(got, want) {
			t.Errorf("linux/%s image holds %q, want %q", arch, got, want)
		}
	}
	if len(img.probes) != 2 {
		t.Errorf("index has %d platforms, want 2", len(img.probes))
	}
	verifySha256File(t, out)
}

// The same binaries give the same bytes: digests are stable across rebuilds.
func TestOutputIsReproducible(t *testing.T) {
	dir, _ := fakeDist(t)
	first, err := run(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs over the same binaries wrote different tarballs")
	}
}

func TestRefusesADistWithoutProbes(t *testing.T) {
	dir := t.TempDir()
	writeJSONFile(t, filepath.Join(dir, "artifacts.json"), []goreleaserArtifact{})
	writeJSONFile(t, filepath.Join(dir, "metadata.json"), map[string]string{"version": "1.2.3"})
	if _, err := run(dir); err == nil || !strings.Contains(err.Error(), "no linux") {
		t.Fatalf("run = %v, want a no-probes error", err)
	}
}

func TestTagOf(t *testing.T) {
	for ref, want := range map[string]string{
		"ghcr.io/a/b:1.2.3":           "1.2.3",
		"localhost:5000/netcheck/b:v": "v",
		"localhost:5000/netcheck/b":   "latest",
	} {
		if got := tagOf(ref); got != want {
			t.Errorf("tagOf(%q) = %q, want %q", ref, got, want)
		}
	}
}

type layoutImage struct {
	refs   []string
	probes map[string][]byte // arch -> /netcheck-probe
}

// verifyLayout checks a layout tarball the way a runtime pulling it would:
// every descriptor's digest and size match its blob, media types are the OCI
// ones, each config's platform matches the index and its diff_id matches the
// uncompressed layer.
func verifyLayout(t *testing.T, file string) layoutImage {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	files := untar(t, raw)
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout is %q", files["oci-layout"])
	}
	blob := func(d descriptor, mediaType string) []byte {
		t.Helper()
		if d.MediaType != mediaType {
			t.Fatalf("descriptor %s has media type %s, want %s", d.Digest, d.MediaType, mediaType)
		}
		b, ok := files["blobs/sha256/"+strings.TrimPrefix(d.Digest, "sha256:")]
		if !ok {
			t.Fatalf("blob %s is missing", d.Digest)
		}
		sum := sha256.Sum256(b)
		if "sha256:"+hex.EncodeToString(sum[:]) != d.Digest || int64(len(b)) != d.Size {
			t.Fatalf("blob %s: digest or size (%d vs %d) does not match its content", d.Digest, len(b), d.Size)
		}
		return b
	}
	var top index
	mustJSON(t, files["index.json"], &top)
	img := layoutImage{probes: map[string][]byte{}}
	for i, d := range top.Manifests {
		img.refs = append(img.refs, d.Annotations[containerdName])
		if !strings.HasSuffix(d.Annotations[containerdName], ":"+d.Annotations[refName]) {
			t.Errorf("index.json entry %d: ref.name %q is not the tag of %q", i, d.Annotations[refName], d.Annotations[containerdName])
		}
		if d.Digest != top.Manifests[0].Digest {
			t.Errorf("index.json entries name different images")
		}
	}
	var multi index
	mustJSON(t, blob(top.Manifests[0], mediaIndex), &multi)
	for _, md := range multi.Manifests {
		var m manifest
		mustJSON(t, blob(md, mediaManifest), &m)
		var cfg struct {
			Architecture, OS, Variant string
			RootFS                    struct {
				DiffIDs []string `json:"diff_ids"`
			} `json:"rootfs"`
			Config struct{ Entrypoint []string }
		}
		mustJSON(t, blob(m.Config, mediaConfig), &cfg)
		if md.Platform == nil || cfg.Architecture != md.Platform.Architecture || cfg.OS != md.Platform.OS || cfg.Variant != md.Platform.Variant {
			t.Fatalf("config platform %s/%s/%s differs from the index's %+v", cfg.OS, cfg.Architecture, cfg.Variant, md.Platform)
		}
		if len(m.Layers) != 1 || len(cfg.RootFS.DiffIDs) != 1 {
			t.Fatalf("want one layer, got %d layers and %d diff_ids", len(m.Layers), len(cfg.RootFS.DiffIDs))
		}
		zr, err := gzip.NewReader(bytes.NewReader(blob(m.Layers[0], mediaLayer)))
		if err != nil {
			t.Fatal(err)
		}
		layer, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(layer); "sha256:"+hex.EncodeToString(sum[:]) != cfg.RootFS.DiffIDs[0] {
			t.Fatalf("diff_id %s is not the uncompressed layer's digest", cfg.RootFS.DiffIDs[0])
		}
		if !slices.Equal(cfg.Config.Entrypoint, []string{"/netcheck-probe"}) {
			t.Errorf("entrypoint %v", cfg.Config.Entrypoint)
		}
		img.probes[cfg.Architecture] = untar(t, layer)["netcheck-probe"]
	}
	return img
}

func verifySha256File(t *testing.T, file string) {
	t.Helper()
	line, err := os.ReadFile(file + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if want := hex.EncodeToString(sum[:]) + "  " + filepath.Base(file) + "\n"; string(line) != want {
		t.Fatalf("%s.sha256 is %q, want %q", file, line, want)
	}
}

func untar(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		if h.Typeflag == tar.TypeReg && h.Name == "netcheck-probe" && h.Mode&0o111 == 0 {
			t.Errorf("netcheck-probe is not executable: %o", h.Mode)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
}

func mustJSON(t *testing.T, raw []byte, into any) {
	t.Helper()
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

func writeJSONFile(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
