package main

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

const (
	// releaseDownload is where GitHub serves a release's assets; the manifest's
	// URIs must point there, under the release's tag.
	releaseDownload = "https://github.com/kubectl-netcheck/kubectl-netcheck/releases/download/"
	// pluginArchives and probeArchives are the archive ids in .goreleaser.yaml.
	pluginArchives = "plugin"
	probeArchives  = "probe"
)

// requiredDocs must be inside every archive a user downloads.
var requiredDocs = []string{"LICENSE", "README.md"}

// checkManifest validates a rendered manifest against the archives of a
// goreleaser dist: krew's own rules first, then every platform against the
// archive it downloads, then that every plugin archive is installable.
func checkManifest(manifestPath string, d *dist) error {
	name := strings.TrimSuffix(filepath.Base(manifestPath), ".yaml")
	p, err := readManifest(manifestPath)
	if err != nil {
		return err
	}
	if err := validateStructure(name, p); err != nil {
		return fmt.Errorf("%s: %w", manifestPath, err)
	}
	var errs []error
	if p.Spec.Version != d.tag() {
		errs = append(errs, fmt.Errorf("spec.version is %q but the release is %q", p.Spec.Version, d.tag()))
	}
	archives := d.archives(pluginArchives)
	if len(archives) == 0 {
		return fmt.Errorf("%s/artifacts.json lists no %q archives", d.dir, pluginArchives)
	}
	used := map[string]bool{}
	for i, pl := range p.Spec.Platforms {
		a, err := checkPlatform(pl, d, archives)
		if err != nil {
			errs = append(errs, fmt.Errorf("spec.platforms[%d] (%s): %w", i, path.Base(pl.URI), err))
			continue
		}
		used[a.Name] = true
	}
	for _, a := range archives {
		if !used[a.Name] {
			errs = append(errs, fmt.Errorf("archive %s (%s/%s) is in no platform: krew users there cannot install", a.Name, a.Goos, a.Goarch))
		}
	}
	return errors.Join(errs...)
}

// checkPlatform checks one platform entry and returns the archive it installs.
func checkPlatform(pl Platform, d *dist, archives []artifact) (artifact, error) {
	base := path.Base(pl.URI)
	if want := releaseDownload + d.tag() + "/" + base; pl.URI != want {
		return artifact{}, fmt.Errorf("uri is %q, want the release asset %q", pl.URI, want)
	}
	i := slices.IndexFunc(archives, func(a artifact) bool { return a.Name == base })
	if i < 0 {
		return artifact{}, fmt.Errorf("no plugin archive named %s in %s", base, d.dir)
	}
	a := archives[i]
	local := d.file(a.Path)
	sum, err := sha256File(local)
	if err != nil {
		return a, err
	}
	if pl.Sha256 != sum {
		return a, fmt.Errorf("sha256 is %s, the archive's is %s", pl.Sha256, sum)
	}
	if recorded := d.checksums[base]; recorded != sum {
		return a, fmt.Errorf("checksums.txt has %q for it, the archive's is %s", recorded, sum)
	}
	if !selects(pl.Selector, a.Goos, a.Goarch) {
		return a, fmt.Errorf("selector %v does not select the archive's platform %s/%s", pl.Selector, a.Goos, a.Goarch)
	}
	for _, other := range archives {
		if other.Name != a.Name && selects(pl.Selector, other.Goos, other.Goarch) {
			return a, fmt.Errorf("selector %v also selects %s/%s, which %s is built for", pl.Selector, other.Goos, other.Goarch, other.Name)
		}
	}
	entries, err := listArchive(local)
	if err != nil {
		return a, err
	}
	if err := checkBin(pl, entries, a.Goos); err != nil {
		return a, err
	}
	return a, checkDocs(entries)
}

// checkBin finds bin among the files krew installs from the archive: all of
// them when files is unset, else those the file operations copy.
func checkBin(pl Platform, entries map[string]entry, goos string) error {
	installed := installedFiles(pl.Files, entries)
	bin := path.Clean(pl.Bin)
	e, ok := installed[bin]
	if !ok {
		return fmt.Errorf("bin %q is not among the installed files %v", pl.Bin, sortedKeys(installed))
	}
	if !e.mode.IsRegular() {
		return fmt.Errorf("bin %q is not a regular file (%v)", pl.Bin, e.mode)
	}
	// Windows has no execute bit; elsewhere krew links bin and kubectl runs it.
	if goos != "windows" && e.mode.Perm()&0o111 == 0 {
		return fmt.Errorf("bin %q is not executable (%v)", pl.Bin, e.mode)
	}
	return nil
}

// installedFiles applies krew's file operations: each `from` glob is matched
// against archive paths and copied into `to` (a folder when it is "." or ends
// in "/", else the new name of a single match).
func installedFiles(ops []FileOperation, entries map[string]entry) map[string]entry {
	if ops == nil {
		return entries
	}
	out := map[string]entry{}
	for _, op := range ops {
		for name, e := range entries {
			if ok, _ := path.Match(path.Clean(op.From), name); !ok {
				continue
			}
			to := path.Clean(op.To)
			if to == "." || strings.HasSuffix(op.To, "/") {
				to = path.Join(to, path.Base(name))
			}
			out[to] = e
		}
	}
	return out
}

func checkDocs(entries map[string]entry) error {
	var missing []string
	for _, doc := range requiredDocs {
		if e, ok := entries[doc]; !ok || !e.mode.IsRegular() {
			missing = append(missing, doc)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("archive lacks %v at its root (archives.files in .goreleaser.yaml)", missing)
	}
	return nil
}

func sortedKeys(m map[string]entry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
