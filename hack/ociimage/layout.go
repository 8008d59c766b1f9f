package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// OCI image-spec v1 media types and annotations this writer emits.
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
	// refName is the tag of an index.json entry (OCI image layout).
	refName = "org.opencontainers.image.ref.name"
	// containerdName is the full reference `ctr images import` registers.
	containerdName = "io.containerd.image.name"
)

// epoch stamps every file, config and history entry: the same binaries always
// give the same digests.
var epoch = time.Unix(0, 0).UTC()

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []descriptor `json:"manifests"`
}

// binary is one probe build: where it is and the platform it runs on.
type binary struct {
	path     string
	platform platform
}

// layout collects content-addressed blobs for an OCI image layout.
type layout struct {
	blobs map[string][]byte // digest -> content
}

func (l *layout) add(mediaType string, content []byte) descriptor {
	sum := sha256.Sum256(content)
	d := descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(content))}
	l.blobs[d.Digest] = content
	return d
}

func (l *layout) addJSON(mediaType string, v any) (descriptor, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return descriptor{}, fmt.Errorf("encode %s: %w", mediaType, err)
	}
	return l.add(mediaType, raw), nil
}

// image adds one single-layer image (the binary at /netcheck-probe) and
// returns its manifest's descriptor, with the platform for the index.
func (l *layout) image(b binary, entrypoint string) (descriptor, error) {
	content, err := os.ReadFile(b.path)
	if err != nil {
		return descriptor{}, fmt.Errorf("read probe binary: %w", err)
	}
	rawLayer, err := layerTar(entrypoint, content)
	if err != nil {
		return descriptor{}, err
	}
	diffID := sha256.Sum256(rawLayer)
	gz, err := gzipped(rawLayer)
	if err != nil {
		return descriptor{}, err
	}
	layer := l.add(mediaLayer, gz)
	cfg := map[string]any{
		"architecture": b.platform.Architecture,
		"os":           b.platform.OS,
		"created":      epoch.Format(time.RFC3339),
		"config":       map[string]any{"Entrypoint": []string{"/" + entrypoint}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diffID[:])}},
		"history":      []map[string]string{{"created": epoch.Format(time.RFC3339), "created_by": "kubectl-netcheck hack/ociimage"}},
	}
	if b.platform.Variant != "" {
		cfg["variant"] = b.platform.Variant
	}
	config, err := l.addJSON(mediaConfig, cfg)
	if err != nil {
		return descriptor{}, err
	}
	m, err := l.addJSON(mediaManifest, manifest{SchemaVersion: 2, MediaType: mediaManifest, Config: config, Layers: []descriptor{layer}})
	if err != nil {
		return descriptor{}, err
	}
	p := b.platform
	m.Platform = &p
	return m, nil
}

// layerTar is the uncompressed layer: one executable at the root, owned by root.
func layerTar(name string, content []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return nil, fmt.Errorf("layer header: %w", err)
	}
	if _, err := tw.Write(content); err != nil {
		return nil, fmt.Errorf("layer content: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finish layer: %w", err)
	}
	return buf.Bytes(), nil
}

// gzipped compresses with no name and no time in the header, so the
// compressed digest depends on the content alone.
func gzipped(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("gzip layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("finish gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// writeTar writes the layout as one tar: oci-layout, index.json (one entry per
// reference, all naming the same multi-arch index) and blobs/sha256/*.
func (l *layout) writeTar(w io.Writer, top descriptor, refs []string) error {
	var entries []descriptor
	for _, ref := range refs {
		d := top
		d.Annotations = map[string]string{refName: tagOf(ref), containerdName: ref}
		entries = append(entries, d)
	}
	indexJSON, err := json.Marshal(index{SchemaVersion: 2, MediaType: mediaIndex, Manifests: entries})
	if err != nil {
		return fmt.Errorf("encode index.json: %w", err)
	}
	files := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json": indexJSON,
	}
	for digest, content := range l.blobs {
		files["blobs/sha256/"+digest[len("sha256:"):]] = content
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)

	tw := tar.NewWriter(w)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return fmt.Errorf("tar %s: %w", dir, err)
		}
	}
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("tar %s: %w", n, err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			return fmt.Errorf("tar %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish layout tar: %w", err)
	}
	return nil
}

// tagOf is the tag part of a reference: "reg/repo:1.2.3" -> "1.2.3".
func tagOf(ref string) string {
	for i := len(ref) - 1; i >= 0 && ref[i] != '/'; i-- {
		if ref[i] == ':' {
			return ref[i+1:]
		}
	}
	return "latest"
}
