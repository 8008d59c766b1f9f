package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// dist is what a goreleaser run left in its dist/ folder: metadata.json,
// artifacts.json and checksums.txt describe it, so the checker never guesses
// from file names.
type dist struct {
	dir       string
	meta      releaseMeta
	artifacts []artifact
	// checksums maps a file name to the sha256 goreleaser recorded for it.
	checksums map[string]string
}

type releaseMeta struct {
	ProjectName string `json:"project_name"`
	Tag         string `json:"tag"`
	Version     string `json:"version"`
}

// artifact is one entry of dist/artifacts.json (goreleaser's artifact.Artifact).
type artifact struct {
	Name   string         `json:"name"`
	Path   string         `json:"path"`
	Goos   string         `json:"goos"`
	Goarch string         `json:"goarch"`
	Type   string         `json:"type"`
	Extra  map[string]any `json:"extra"`
}

// buildID is the goreleaser build or archive id that made the artifact.
func (a artifact) buildID() string {
	id, _ := a.Extra["ID"].(string)
	return id
}

// Goreleaser artifact types this checker reads.
const (
	typeArchive  = "Archive"
	typeBinary   = "Binary"
	typeChecksum = "Checksum"
)

func loadDist(dir string) (*dist, error) {
	d := &dist{dir: dir}
	if err := readJSON(filepath.Join(dir, "metadata.json"), &d.meta); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "artifacts.json"), &d.artifacts); err != nil {
		return nil, err
	}
	sums, err := readChecksums(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		return nil, err
	}
	d.checksums = sums
	return d, nil
}

// tag is the release tag the archives are named after: goreleaser's version
// with a leading v (for a snapshot, metadata's tag is the last real tag).
func (d *dist) tag() string { return "v" + d.meta.Version }

// archives lists the archives one goreleaser archive id produced.
func (d *dist) archives(id string) []artifact {
	var out []artifact
	for _, a := range d.artifacts {
		if a.Type == typeArchive && a.buildID() == id {
			out = append(out, a)
		}
	}
	return out
}

// binaries lists the binaries one goreleaser build id produced.
func (d *dist) binaries(id string) []artifact {
	var out []artifact
	for _, a := range d.artifacts {
		if a.Type == typeBinary && a.buildID() == id {
			out = append(out, a)
		}
	}
	return out
}

// file resolves an artifact path from artifacts.json against the dist folder
// we were given. Goreleaser writes paths relative to the folder it ran in
// ("dist/release/plugin_linux_amd64_v1/kubectl-netcheck"); its own name for
// the dist folder is the folder of the checksums file it listed.
func (d *dist) file(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	rel := filepath.ToSlash(p)
	for _, a := range d.artifacts {
		if a.Type == typeChecksum {
			rel = strings.TrimPrefix(rel, path.Dir(filepath.ToSlash(a.Path))+"/")
			break
		}
	}
	return filepath.Join(d.dir, filepath.FromSlash(rel))
}

func readJSON(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read goreleaser output: %w", err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// readChecksums parses `sha256sum` format: "<hex>  <name>" per line.
func readChecksums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read checksums: %w", err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			return nil, fmt.Errorf("%s: malformed line %q", path, sc.Text())
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return sums, nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open for sha256: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
