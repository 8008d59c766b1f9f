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

// ProbeImage returns the probe image reference that matches this build.
// A "dev" build points at the locally built image the e2e harness imports.
func ProbeImage(registry string) string {
	if registry == "" {
		if Version == "dev" {
			registry = "localhost/netcheck"
		} else {
			registry = DefaultRegistry
		}
	}
	return strings.TrimSuffix(registry, "/") + "/" + ProbeImageName + ":" + Tag()
}

// Tag is the image tag for this build: the version without a leading "v+".
func Tag() string {
	return strings.TrimPrefix(Version, "v")
}
