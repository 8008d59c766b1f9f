// Command ociimage writes the multi-arch probe image of a goreleaser snapshot or
// release as one OCI image-layout tarball: an image index with a linux/amd64
// and a linux/arm64 manifest, built from the probe binaries goreleaser already
// compiled (no rebuild, no daemon, no registry, no network).
//
//	go run ./hack/ociimage -dist dist/release
//
// It writes <dist>/netcheck-probe_v<version>_linux_multiarch.oci.tar and a
// .sha256 beside it. Load it with `ctr -n k8s.io images import --all-platforms`
// or push it with `skopeo copy oci-archive:FILE docker://REF`. image/ stays the
// single-arch docker-archive the e2e cluster imports.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	distDir := flag.String("dist", "dist/release", "goreleaser dist folder holding metadata.json and artifacts.json")
	flag.Parse()
	out, err := run(*distDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
	fmt.Println(out)
}

func run(distDir string) (string, error) {
	rel, err := loadRelease(distDir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(distDir, fmt.Sprintf("netcheck-probe_v%s_linux_multiarch.oci.tar", rel.version))
	if err := writeImage(out, rel.version, rel.probes); err != nil {
		return "", err
	}
	return out, nil
}
