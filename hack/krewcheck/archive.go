package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// entry is one file or directory of an archive, by its cleaned slash path.
type entry struct {
	mode fs.FileMode
}

// listArchive reads an archive's table of contents. Like krew, it picks the
// format from the content (gzip or zip magic), not from the file name.
func listArchive(file string) (map[string]entry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind %s: %w", file, err)
	}
	switch ct := http.DetectContentType(head[:n]); ct {
	case "application/x-gzip":
		return listTarGz(f)
	case "application/zip":
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", file, err)
		}
		return listZip(f, st.Size())
	default:
		return nil, fmt.Errorf("%s is %s; krew installs only .tar.gz and .zip", file, ct)
	}
}

func listTarGz(r io.Reader) (map[string]entry, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	defer gz.Close()
	out := map[string]entry{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		if err := add(out, h.Name, h.FileInfo().Mode()); err != nil {
			return nil, err
		}
	}
}

func listZip(r io.ReaderAt, size int64) (map[string]entry, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("read zip: %w", err)
	}
	out := map[string]entry{}
	for _, f := range zr.File {
		if err := add(out, f.Name, f.Mode()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// add records an entry, refusing the names krew refuses to extract: absolute
// paths and paths that climb out of the install folder.
func add(out map[string]entry, name string, mode fs.FileMode) error {
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	if path.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("archive entry %q escapes the install folder", name)
	}
	if _, dup := out[clean]; dup {
		return fmt.Errorf("archive has %q twice", clean)
	}
	out[clean] = entry{mode: mode}
	return nil
}
