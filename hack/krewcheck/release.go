package main

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// versionVar is the variable both binaries carry their version in.
const versionVar = "github.com/kubectl-netcheck/kubectl-netcheck/pkg/version.Version"

// checkRelease checks what the manifest does not cover: every binary is
// stamped with the release version, and the probe archives ship the docs and
// are listed in checksums.txt like the plugin's.
func checkRelease(d *dist) error {
	var errs []error
	for _, id := range []string{pluginArchives, probeArchives} {
		bins := d.binaries(id)
		if len(bins) == 0 {
			errs = append(errs, fmt.Errorf("artifacts.json lists no %q binaries", id))
		}
		for _, b := range bins {
			if err := checkStamp(d.file(b.Path), d.meta.Version); err != nil {
				errs = append(errs, fmt.Errorf("%s %s/%s: %w", id, b.Goos, b.Goarch, err))
			}
		}
	}
	for _, a := range d.archives(probeArchives) {
		errs = append(errs, checkListed(d, a.Name))
		entries, err := listArchive(d.file(a.Path))
		if err == nil {
			err = checkDocs(entries)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.Name, err))
		}
	}
	return errors.Join(errs...)
}

// checkStamp checks a binary of any GOOS/GOARCH without running it: Go's
// recorded build settings say it is static and path-free, and the version
// string that -X stamped is in its data. (With -trimpath Go does not record
// -ldflags, so the string itself is the evidence; a "dev" build lacks it.)
func checkStamp(file, version string) error {
	info, err := buildinfo.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read build info of %s: %w", filepath.Base(file), err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" {
		return fmt.Errorf("%s was built with CGO_ENABLED=%q: it must be static", filepath.Base(file), settings["CGO_ENABLED"])
	}
	if settings["-trimpath"] != "true" {
		return fmt.Errorf("%s was built without -trimpath: it embeds build paths", filepath.Base(file))
	}
	content, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(file), err)
	}
	if !bytes.Contains(content, []byte(version)) {
		return fmt.Errorf("%s does not contain the version %q: -X %s was not applied", filepath.Base(file), version, versionVar)
	}
	return nil
}

// checkListed: the file's sha256 is in checksums.txt and matches the file.
func checkListed(d *dist, name string) error {
	sum, err := sha256File(filepath.Join(d.dir, name))
	if err != nil {
		return err
	}
	if got := d.checksums[name]; got != sum {
		return fmt.Errorf("checksums.txt has %q for %s, the file's sha256 is %s", got, name, sum)
	}
	return nil
}
