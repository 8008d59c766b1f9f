package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/imagetar"
)

// image is one image the nodes need.
type image struct {
	name string // tarball stem under images/
	ref  string
}

var (
	pauseImg   = image{"pause", PauseImage}
	corednsImg = image{"coredns", CoreDNSImage}
	echoImg    = image{"echoserver", EchoImage}
	probeImg   = image{"netcheck-probe", ProbeImage}
)

// ensureBaseImages writes the pause and CoreDNS tarballs when missing or older
// than their binaries; they change only with the pinned versions.
func (l *Lab) ensureBaseImages(ctx context.Context) error {
	pause, err := l.PauseBin(ctx)
	if err != nil {
		return err
	}
	if err := l.writeBinaryImage(pauseImg, pause, "/pause", nil); err != nil {
		return err
	}
	return l.writeBinaryImage(corednsImg, l.CoreDNSBin(), "/coredns", nil)
}

// writeBinaryImage writes a FROM-scratch image holding one static binary.
func (l *Lab) writeBinaryImage(img image, bin, inImage string, args []string) error {
	out := l.ImagePath(img.name)
	if ot, err := os.Stat(out); err == nil {
		if bt, err := os.Stat(bin); err == nil && !bt.ModTime().After(ot.ModTime()) {
			return nil
		}
	}
	err := imagetar.WriteFile(out, imagetar.Image{
		RepoTags:   []string{img.ref},
		Entrypoint: []string{inImage},
		Cmd:        args,
		Files:      []imagetar.File{{Path: inImage, Mode: 0o755, Source: bin}},
	})
	if err != nil {
		return fmt.Errorf("image %s: %w", img.ref, err)
	}
	return nil
}

// buildTreeImages builds the echo server and the probe from the current tree.
// The probe goes through `go run ./image`, the same path `make image` takes.
func (l *Lab) buildTreeImages(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "netcheck-echo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	echoBin := filepath.Join(tmp, "echoserver")
	env := goEnv()
	if err := goCmd(ctx, l.Repo, env, "build", "-trimpath", "-ldflags=-s -w", "-o", echoBin, "./e2e/echoserver"); err != nil {
		return fmt.Errorf("build echo server: %w", err)
	}
	// Always rewritten: the binary in tmp is always newer than the old tarball.
	if err := l.writeBinaryImage(echoImg, echoBin, "/echoserver", nil); err != nil {
		return err
	}
	if err := goCmd(ctx, l.Repo, env, "run", "./image", "-version", "dev", "-o", l.ImagePath(probeImg.name)); err != nil {
		return fmt.Errorf("build probe image: %w", err)
	}
	return nil
}

// importImages imports the tarballs into every node's containerd, nodes in parallel.
func (l *Lab) importImages(ctx context.Context, imgs ...image) error {
	var wg sync.WaitGroup
	errs := make([]error, len(Nodes))
	for i, n := range Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, img := range imgs {
				// ctr speaks to the node's containerd over its socket; it
				// unpacks into the overlayfs snapshotter the CRI plugin uses.
				if _, err := run(ctx, "ctr", "-n", "k8s.io", "-a", l.ContainerdSock(n), "images", "import", l.ImagePath(img.name)); err != nil {
					errs[i] = fmt.Errorf("import %s into %s: %w", img.ref, n.Name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ImportImages rebuilds the probe and echo server images from the current tree
// and imports them into both nodes, so tests always run the tree's probe.
// Concurrent callers (several e2e test binaries) take turns.
func (l *Lab) ImportImages(ctx context.Context, log func(string, ...any)) error {
	unlock, err := l.lock("images")
	if err != nil {
		return err
	}
	defer unlock()
	start := time.Now()
	if err := l.buildTreeImages(ctx); err != nil {
		return err
	}
	if err := l.importImages(ctx, echoImg, probeImg); err != nil {
		return err
	}
	log("imported %s and %s into %d nodes in %s", EchoImage, ProbeImage, len(Nodes), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// TagImage gives image src the extra name ref in node n's containerd only, the
// way importImages reaches it (ctr over the node's socket): a test that needs
// an image present on one node and missing on the other uses it.
func (l *Lab) TagImage(ctx context.Context, n Node, src, ref string) error {
	if _, err := run(ctx, "ctr", "-n", "k8s.io", "-a", l.ContainerdSock(n), "images", "tag", "--force", src, ref); err != nil {
		return fmt.Errorf("tag %s as %s on %s: %w", src, ref, n.Name, err)
	}
	return nil
}

// UntagImage removes the name ref from node n's containerd; the image stays
// under its other names (CRI RemoveImage would remove every name of it).
func (l *Lab) UntagImage(ctx context.Context, n Node, ref string) error {
	if _, err := run(ctx, "ctr", "-n", "k8s.io", "-a", l.ContainerdSock(n), "images", "rm", ref); err != nil {
		return fmt.Errorf("remove image name %s from %s: %w", ref, n.Name, err)
	}
	return nil
}
