// Package imagetar writes single-layer container images as docker-archive tarballs
// (the format of `docker save`: manifest.json, a config blob and one layer.tar),
// which `ctr -n k8s.io images import` accepts. It needs no registry, no daemon and no
// network, so the e2e harness can build its images offline.
//
// Output is reproducible: entries are sorted, owned by root and stamped with the Unix
// epoch, so the same files always give the same image ID.
package imagetar

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// File is one regular file of the image. Exactly one of Data or Source is set.
type File struct {
	// Path inside the image, absolute ("/netcheck-probe").
	Path string
	// Mode holds the permission bits; 0 means 0644.
	Mode int64
	// Data is the content for small files.
	Data []byte
	// Source is a file on disk to copy, for binaries too large to hold in memory.
	Source string
}

// Image describes what to write.
type Image struct {
	// RepoTags are the references the image is imported under, e.g.
	// "localhost/netcheck/pause:1". At least one is required.
	RepoTags   []string
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	// Files form the only layer; parent directories are added automatically.
	Files []File
}

// epoch is the timestamp of every entry and of the config, for reproducible output.
var epoch = time.Unix(0, 0).UTC()

// WriteFile writes img to path atomically: a half-written tarball never appears
// under the final name, so a crashed build cannot poison a later import.
func WriteFile(path string, img Image) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create image dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".image-*.tar")
	if err != nil {
		return fmt.Errorf("create temp image file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, img); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename image into place: %w", err)
	}
	return nil
}

// Write streams img as a docker-archive to w.
func Write(w io.Writer, img Image) error {
	if len(img.RepoTags) == 0 {
		return errors.New("image needs at least one repo tag")
	}
	// The layer is spooled to a temp file first: the outer tar header needs its
	// size, and its digest goes into the config before the layer is copied out.
	layer, err := os.CreateTemp("", "imagetar-layer-*.tar")
	if err != nil {
		return fmt.Errorf("create layer spool: %w", err)
	}
	defer func() { _ = os.Remove(layer.Name()); _ = layer.Close() }()

	h := sha256.New()
	if err := writeLayer(io.MultiWriter(layer, h), img.Files); err != nil {
		return err
	}
	layerSize, err := layer.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("size layer: %w", err)
	}
	if _, err := layer.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind layer: %w", err)
	}
	diffID := "sha256:" + hex.EncodeToString(h.Sum(nil))

	config, err := json.Marshal(imageConfig(img, diffID))
	if err != nil {
		return fmt.Errorf("encode image config: %w", err)
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := strings.TrimPrefix(diffID, "sha256:") + "/layer.tar"

	manifest, err := json.Marshal([]manifestEntry{{Config: configName, RepoTags: img.RepoTags, Layers: []string{layerName}}})
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}

	tw := tar.NewWriter(w)
	if err := addDir(tw, path.Dir(layerName)); err != nil {
		return err
	}
	if err := addStream(tw, layerName, layerSize, 0o644, layer); err != nil {
		return err
	}
	if err := addBytes(tw, configName, config, 0o644); err != nil {
		return err
	}
	if err := addBytes(tw, "manifest.json", manifest, 0o644); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish image tar: %w", err)
	}
	return nil
}

type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// imageConfig is the OCI/docker image config: what the runtime reads to start the
// container (entrypoint, env) and the layer digest it verifies on import.
func imageConfig(img Image, diffID string) map[string]any {
	cfg := map[string]any{}
	if len(img.Entrypoint) > 0 {
		cfg["Entrypoint"] = img.Entrypoint
	}
	if len(img.Cmd) > 0 {
		cfg["Cmd"] = img.Cmd
	}
	if len(img.Env) > 0 {
		cfg["Env"] = img.Env
	}
	if img.WorkingDir != "" {
		cfg["WorkingDir"] = img.WorkingDir
	}
	return map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history":      []map[string]string{{"created": epoch.Format(time.RFC3339), "created_by": "kubectl-netcheck internal/imagetar"}},
	}
}

// writeLayer writes the files, and every parent directory once, as an uncompressed tar.
func writeLayer(w io.Writer, files []File) error {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })

	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	for _, f := range sorted {
		name, err := layerPath(f.Path)
		if err != nil {
			return err
		}
		for _, d := range parents(name) {
			if !dirs[d] {
				dirs[d] = true
				if err := addDir(tw, d); err != nil {
					return err
				}
			}
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		switch {
		case f.Source != "" && f.Data != nil:
			return fmt.Errorf("file %s: set Data or Source, not both", f.Path)
		case f.Source != "":
			if err := addFromDisk(tw, name, mode, f.Source); err != nil {
				return err
			}
		default:
			if err := addBytes(tw, name, f.Data, mode); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish layer tar: %w", err)
	}
	return nil
}

// layerPath turns "/a/b" into "a/b", the relative form layer tars use.
func layerPath(p string) (string, error) {
	clean := path.Clean("/" + p)
	if clean == "/" || !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("image file path %q must be absolute and name a file", p)
	}
	return strings.TrimPrefix(clean, "/"), nil
}

// parents lists the directories above name, outermost first: "a/b/c" -> a, a/b.
func parents(name string) []string {
	var out []string
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}

func header(name string, mode int64, size int64, typ byte) *tar.Header {
	return &tar.Header{Name: name, Mode: mode, Size: size, Typeflag: typ, ModTime: epoch, Format: tar.FormatPAX}
}

func addDir(tw *tar.Writer, name string) error {
	if err := tw.WriteHeader(header(name+"/", 0o755, 0, tar.TypeDir)); err != nil {
		return fmt.Errorf("tar dir %s: %w", name, err)
	}
	return nil
}

func addBytes(tw *tar.Writer, name string, data []byte, mode int64) error {
	if err := tw.WriteHeader(header(name, mode, int64(len(data)), tar.TypeReg)); err != nil {
		return fmt.Errorf("tar header %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("tar write %s: %w", name, err)
	}
	return nil
}

func addStream(tw *tar.Writer, name string, size, mode int64, r io.Reader) error {
	if err := tw.WriteHeader(header(name, mode, size, tar.TypeReg)); err != nil {
		return fmt.Errorf("tar header %s: %w", name, err)
	}
	if _, err := io.CopyN(tw, r, size); err != nil {
		return fmt.Errorf("tar copy %s: %w", name, err)
	}
	return nil
}

func addFromDisk(tw *tar.Writer, name string, mode int64, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open image file source: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", src, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("image file source %s is not a regular file", src)
	}
	return addStream(tw, name, st.Size(), mode, f)
}
