// Command image builds the probe image offline: it compiles cmd/netcheck-probe as
// a static binary and writes a FROM-scratch docker-archive that
// `ctr -n k8s.io images import` (or `docker load`) accepts.
//
//	go run ./image -version dev -o dist/netcheck-probe-image.tar
//
// The image is always tagged localhost/netcheck/netcheck-probe:<tag>, the name the
// local cluster uses; a release version is also tagged with the reference the
// released plugin defaults to (version.ProbeImage), so an air-gapped import works
// without --image.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/imagetar"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

func main() {
	ver := flag.String("version", version.Version, "version stamped into the probe and used for the tag")
	out := flag.String("o", "dist/netcheck-probe-image.tar", "output docker-archive path")
	pkg := flag.String("pkg", "./cmd/netcheck-probe", "Go package of the probe")
	flag.Parse()

	refs, err := build(*ver, *pkg, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	for _, r := range refs {
		fmt.Println(r)
	}
}

// build compiles the probe and writes the image; it returns the image's references.
func build(ver, pkg, out string) ([]string, error) {
	tmp, err := os.MkdirTemp("", "netcheck-probe-build-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "netcheck-probe")
	ldflags := "-s -w -X github.com/kubectl-netcheck/kubectl-netcheck/pkg/version.Version=" + ver
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s: %w", pkg, err)
	}

	refs := version.ImageRefs(ver)
	img := imagetar.Image{
		RepoTags:   refs,
		Entrypoint: []string{"/netcheck-probe"},
		Files:      []imagetar.File{{Path: "/netcheck-probe", Mode: 0o755, Source: bin}},
	}
	if err := imagetar.WriteFile(out, img); err != nil {
		return nil, fmt.Errorf("write %s: %w", out, err)
	}
	return refs, nil
}
