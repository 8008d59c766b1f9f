// Package version carries the build version shared by the plugin and the probe.
// Release builds stamp it with -ldflags "-X .../pkg/version.Version=v1.2.3".
package version

import "strings"

// Version is the release version; "dev" for local builds.
var Version = "dev"

// DefaultRegistry is where released probe images live. Air-gapped users
// override it with --registry or the whole reference with --image.
var DefaultRegistry = "ghcr.io/kubectl-netcheck"

// ProbeImageName is the repository name of the probe image under a registry.
const ProbeImageName = "netcheck-probe"

// LocalRegistry is where the e2e cluster's locally built images live.
const LocalRegistry = "localhost/netcheck"

// ProbeImage returns the probe image reference that matches this build.
// A "dev" build points at the locally built image the e2e harness imports.
func ProbeImage(registry string) string { return ProbeImageFor(registry, Version) }

// ProbeImageFor is ProbeImage for a given version rather than this build's.
func ProbeImageFor(registry, version string) string {
	if registry == "" {
		registry = DefaultRegistry
		if version == "dev" {
			registry = LocalRegistry
		}
	}
	return strings.TrimSuffix(registry, "/") + "/" + ProbeImageName + ":" + TagOf(version)
}

// ImageRefs are the names a probe image of version is stored under: the local
// cluster's reference first, then the one a plugin of that version pulls by
// default, when that differs.
func ImageRefs(version string) []string {
	refs := []string{ProbeImageFor(LocalRegistry, version)}
	if def := ProbeImageFor("", version); def != refs[0] {
		refs = append(refs, def)
	}
	return refs
}

// Tag is the image tag for this build: the version without a leading "v".
func Tag() string { return TagOf(Version) }

// TagOf is the image tag for a version: the version without a leading "v".
func TagOf(version string) string { return strings.TrimPrefix(version, "v") }
