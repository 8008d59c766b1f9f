package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// probeBuild is the build id of the probe in .goreleaser.yaml.
const probeBuild = "probe"

type release struct {
	version string
	probes  []binary
}

// goreleaserArtifact is the part of a dist/artifacts.json entry used here.
type goreleaserArtifact struct {
	Path   string         `json:"path"`
	Goos   string         `json:"goos"`
	Goarch string         `json:"goarch"`
	Type   string         `json:"type"`
	Extra  map[string]any `json:"extra"`
}

// loadRelease reads the version and the linux probe binaries of a dist folder.
func loadRelease(distDir string) (release, error) {
	var meta struct{ Version string }
	if err := readJSON(filepath.Join(distDir, "metadata.json"), &meta); err != nil {
		return release{}, err
	}
	var arts []goreleaserArtifact
	if err := readJSON(filepath.Join(distDir, "artifacts.json"), &arts); err != nil {
		return release{}, err
	}
	// Goreleaser's paths start with its own name for the dist folder, which is
	// the folder of the checksums file it lists.
	prefix := ""
	for _, a := range arts {
		if a.Type == "Checksum" {
			prefix = path.Dir(filepath.ToSlash(a.Path)) + "/"
		}
	}
	rel := release{version: meta.Version}
	for _, a := range arts {
		if a.Type != "Binary" || a.Extra["ID"] != probeBuild || a.Goos != "linux" {
			continue
		}
		p := platform{OS: a.Goos, Architecture: a.Goarch}
		if a.Goarch == "arm64" {
			p.Variant = "v8" // what registries and runtimes expect for arm64
		}
		file := filepath.Join(distDir, filepath.FromSlash(strings.TrimPrefix(filepath.ToSlash(a.Path), prefix)))
		rel.probes = append(rel.probes, binary{path: file, platform: p})
	}
	if meta.Version == "" || len(rel.probes) == 0 {
		return release{}, fmt.Errorf("%s holds no version or no linux %q binaries: run goreleaser first", distDir, probeBuild)
	}
	sort.Slice(rel.probes, func(i, j int) bool { return rel.probes[i].platform.Architecture < rel.probes[j].platform.Architecture })
	return rel, nil
}

// writeImage builds one image per probe, an index over them, and writes the
// layout tarball atomically, then its sha256 beside it.
func writeImage(out, ver string, probes []binary) (err error) {
	l := &layout{blobs: map[string][]byte{}}
	var manifests []descriptor
	for _, b := range probes {
		m, err := l.image(b, "netcheck-probe")
		if err != nil {
			return fmt.Errorf("image for %s/%s: %w", b.platform.OS, b.platform.Architecture, err)
		}
		manifests = append(manifests, m)
	}
	top, err := l.addJSON(mediaIndex, index{SchemaVersion: 2, MediaType: mediaIndex, Manifests: manifests})
	if err != nil {
		return err
	}

	tmp, err := os.CreateTemp(filepath.Dir(out), ".oci-*.tar")
	if err != nil {
		return fmt.Errorf("create image file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if err := l.writeTar(io.MultiWriter(tmp, h), top, version.ImageRefs(ver)); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	// A release asset, readable like the archives (CreateTemp makes it 0600).
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("move image into place: %w", err)
	}
	// sha256sum format, so `sha256sum -c` verifies the download.
	line := hex.EncodeToString(h.Sum(nil)) + "  " + filepath.Base(out) + "\n"
	if err := os.WriteFile(out+".sha256", []byte(line), 0o644); err != nil {
		return fmt.Errorf("write checksum: %w", err)
	}
	return nil
}

func readJSON(file string, into any) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read goreleaser output: %w", err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("decode %s: %w", file, err)
	}
	return nil
}
