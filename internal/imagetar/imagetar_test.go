package imagetar

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// readTar returns the entries of a tar by name, plus their modes and the order seen.
func readTar(t *testing.T, data []byte) (map[string][]byte, map[string]int64, []string) {
	t.Helper()
	files, modes := map[string][]byte{}, map[string]int64{}
	var order []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, modes, order
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s: %v", h.Name, err)
		}
		files[h.Name], modes[h.Name] = body, h.Mode
		order = append(order, h.Name)
	}
}

func TestWriteProducesLoadableDockerArchive(t *testing.T) {
	src := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(src, []byte("#!binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := Image{
		RepoTags:   []string{"localhost/netcheck/test:1", "localhost/netcheck/test:latest"},
		Entrypoint: []string{"/usr/bin/tool"},
		Cmd:        []string{"-v"},
		Env:        []string{"A=b"},
		Files: []File{
			{Path: "/usr/bin/tool", Mode: 0o755, Source: src},
			{Path: "/etc/hello", Data: []byte("hi\n")},
		},
	}
	var buf bytes.Buffer
	if err := Write(&buf, img); err != nil {
		t.Fatalf("Write: %v", err)
	}
	outer, _, _ := readTar(t, buf.Bytes())

	var manifest []manifestEntry
	if err := json.Unmarshal(outer["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 1 || len(manifest[0].Layers) != 1 {
		t.Fatalf("manifest = %+v, want one image with one layer", manifest)
	}
	m := manifest[0]
	if !reflect.DeepEqual(m.RepoTags, img.RepoTags) {
		t.Errorf("RepoTags = %v, want %v", m.RepoTags, img.RepoTags)
	}

	// The config is named by its own digest and names the layer by its digest:
	// that is what the importer verifies.
	configSum := sha256.Sum256(outer[m.Config])
	if got := hex.EncodeToString(configSum[:]) + ".json"; got != m.Config {
		t.Errorf("config named %s but hashes to %s", m.Config, got)
	}
	var cfg struct {
		Architecture string
		OS           string
		Config       struct{ Entrypoint, Cmd, Env []string }
		RootFS       struct {
			Type    string
			DiffIDs []string `json:"diff_ids"`
		}
	}
	if err := json.Unmarshal(outer[m.Config], &cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	layer := outer[m.Layers[0]]
	layerSum := sha256.Sum256(layer)
	if want := "sha256:" + hex.EncodeToString(layerSum[:]); len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != want {
		t.Errorf("diff_ids = %v, want [%s]", cfg.RootFS.DiffIDs, want)
	}
	if cfg.OS != "linux" || cfg.RootFS.Type != "layers" {
		t.Errorf("os/rootfs type = %s/%s", cfg.OS, cfg.RootFS.Type)
	}
	if !reflect.DeepEqual(cfg.Config.Entrypoint, img.Entrypoint) || !reflect.DeepEqual(cfg.Config.Cmd, img.Cmd) || !reflect.DeepEqual(cfg.Config.Env, img.Env) {
		t.Errorf("config = %+v, want entrypoint/cmd/env of %+v", cfg.Config, img)
	}

	files, modes, order := readTar(t, layer)
	if string(files["usr/bin/tool"]) != "#!binary" || modes["usr/bin/tool"] != 0o755 {
		t.Errorf("tool = %q mode %o", files["usr/bin/tool"], modes["usr/bin/tool"])
	}
	if string(files["etc/hello"]) != "hi\n" || modes["etc/hello"] != 0o644 {
		t.Errorf("hello = %q mode %o", files["etc/hello"], modes["etc/hello"])
	}
	wantOrder := []string{"etc/", "etc/hello", "usr/", "usr/bin/", "usr/bin/tool"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("layer entries = %v, want %v (parents first, sorted, once)", order, wantOrder)
	}
}

func TestWriteIsReproducible(t *testing.T) {
	img := Image{RepoTags: []string{"localhost/x:1"}, Files: []File{{Path: "/b", Data: []byte("2")}, {Path: "/a", Data: []byte("1")}}}
	var one, two bytes.Buffer
	if err := Write(&one, img); err != nil {
		t.Fatal(err)
	}
	img.Files[0], img.Files[1] = img.Files[1], img.Files[0]
	if err := Write(&two, img); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("same files in a different order gave different archives")
	}
}

func TestWriteRejectsBadInput(t *testing.T) {
	cases := map[string]Image{
		"no tag":        {Files: []File{{Path: "/a", Data: []byte("x")}}},
		"relative path": {RepoTags: []string{"x:1"}, Files: []File{{Path: "a", Data: []byte("x")}}},
		"root path":     {RepoTags: []string{"x:1"}, Files: []File{{Path: "/", Data: []byte("x")}}},
		"data and src":  {RepoTags: []string{"x:1"}, Files: []File{{Path: "/a", Data: []byte("x"), Source: "/etc/hostname"}}},
		"missing src":   {RepoTags: []string{"x:1"}, Files: []File{{Path: "/a", Source: "/nonexistent/file"}}},
	}
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			if err := Write(io.Discard, img); err == nil {
				t.Error("Write succeeded, want an error")
			}
		})
	}
}

func TestWriteFileLeavesNoTempOnError(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(filepath.Join(dir, "out.tar"), Image{RepoTags: []string{"x:1"}, Files: []File{{Path: "/a", Source: "/nonexistent"}}})
	if err == nil {
		t.Fatal("WriteFile succeeded with a missing source")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left %d files behind after a failed write", len(entries))
	}
}
