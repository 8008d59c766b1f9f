package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The unit tests build a small dist/ of real archives in the layout goreleaser
// writes (metadata.json, artifacts.json, checksums.txt), so every check runs
// against real tar.gz and zip files without running goreleaser.

const fixtureVersion = "1.2.3"

// templatePath is the real template, so the unit tests also prove it renders.
var templatePath = filepath.Join("..", "..", "krew", "netcheck.yaml")

var fixturePlatforms = [][2]string{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

type archiveFile struct {
	name string
	mode fs.FileMode
	data string
}

func pluginFiles(goos string) []archiveFile {
	bin := "kubectl-netcheck"
	if goos == "windows" {
		bin += ".exe"
	}
	return []archiveFile{
		{name: bin, mode: 0o755, data: "#!binary " + goos},
		{name: "LICENSE", mode: 0o644, data: "license"},
		{name: "README.md", mode: 0o644, data: "readme"},
	}
}

// writeDist writes the plugin archives; filesFor may alter what one holds.
func writeDist(t *testing.T, filesFor func(goos, goarch string) []archiveFile) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var arts []artifact
	for _, p := range fixturePlatforms {
		goos, goarch := p[0], p[1]
		files := pluginFiles(goos)
		if filesFor != nil {
			files = filesFor(goos, goarch)
		}
		name := fmt.Sprintf("kubectl-netcheck_v%s_%s_%s", fixtureVersion, goos, goarch)
		if goos == "windows" {
			name += ".zip"
			writeZip(t, filepath.Join(dir, name), files)
		} else {
			name += ".tar.gz"
			writeTarGz(t, filepath.Join(dir, name), files)
		}
		arts = append(arts, artifact{Name: name, Path: "dist/release/" + name, Goos: goos, Goarch: goarch,
			Type: typeArchive, Extra: map[string]any{"ID": pluginArchives}})
	}
	// Goreleaser's paths start with its dist folder; this one says dist/release.
	arts = append(arts, artifact{Name: "checksums.txt", Path: "dist/release/checksums.txt", Type: typeChecksum})
	writeJSON(t, filepath.Join(dir, "artifacts.json"), arts)
	writeJSON(t, filepath.Join(dir, "metadata.json"), releaseMeta{ProjectName: "kubectl-netcheck", Tag: "v" + fixtureVersion, Version: fixtureVersion})
	writeChecksums(t, dir)
	return dir
}

// writeChecksums writes checksums.txt for every archive in dir, as goreleaser does.
func writeChecksums(t *testing.T, dir string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".txt") {
			continue
		}
		sum, err := sha256File(n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, filepath.Base(n))
	}
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeTarGz(t *testing.T, file string, files []archiveFile) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, af := range files {
		h := &tar.Header{Name: af.name, Mode: int64(af.mode.Perm()), Size: int64(len(af.data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(af.data)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, gz} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func writeZip(t *testing.T, file string, files []archiveFile) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, af := range files {
		h := &zip.FileHeader{Name: af.name, Method: zip.Deflate}
		h.SetMode(af.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(af.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// renderFixture renders the real template against dir and writes netcheck.yaml
// next to it (krew takes the plugin name from the file name).
func renderFixture(t *testing.T, dir string) string {
	t.Helper()
	d, err := loadDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := render(templatePath, d.tag(), dir)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(filepath.Dir(dir), "netcheck.yaml")
	if err := os.WriteFile(manifest, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return manifest
}
