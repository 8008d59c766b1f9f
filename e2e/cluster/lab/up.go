package lab

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Up brings the cluster up, or finishes bringing it up: every step checks what
// already exists, so running it again on a healthy cluster changes nothing but
// re-importing the tree's probe and echo images.
func (l *Lab) Up(ctx context.Context, log func(string, ...any)) error {
	start := time.Now()
	fresh := !exists(l.path("run"))
	if os.Geteuid() != 0 {
		return fmt.Errorf("the lab needs root (network namespaces, containerd, iptables)")
	}

	if err := EnsurePackages(ctx, log); err != nil {
		return err
	}
	if err := l.EnsureK8s(ctx, log); err != nil {
		return err
	}
	if err := l.EnsureCoreDNS(ctx, log); err != nil {
		return err
	}
	flanneld, err := l.FlanneldBin(ctx, log)
	if err != nil {
		return err
	}
	if err := l.ensureBaseImages(ctx); err != nil {
		return err
	}
	// The tree images are shared with ImportImages in e2e test binaries: hold
	// their lock from build to import.
	unlockImages, err := l.lock("images")
	if err != nil {
		return err
	}
	defer unlockImages()
	// A probe that does not compile must not keep everyone else's cluster down:
	// warn, and let import-images (which the e2e tests call) fail loudly instead.
	treeImages := []image{echoImg, probeImg}
	if err := l.buildTreeImages(ctx); err != nil {
		log("WARNING: %v\ncontinuing without fresh probe/echo images", err)
		treeImages = nil
		for _, img := range []image{echoImg, probeImg} {
			if exists(l.ImagePath(img.name)) {
				treeImages = append(treeImages, img)
			}
		}
	}
	if err := l.EnsurePKI(); err != nil {
		return err
	}
	if err := l.writeKubeconfigs(); err != nil {
		return err
	}
	log("binaries, images and PKI ready (%s)", time.Since(start).Round(100*time.Millisecond))

	if fresh {
		// Keep the previous run's logs for a post-mortem, start new ones.
		_ = os.RemoveAll(l.LogDir() + ".prev")
		_ = os.Rename(l.LogDir(), l.LogDir()+".prev")
	}
	if err := l.saveSysctlBaseline(fresh); err != nil {
		return err
	}
	if err := os.MkdirAll(l.path("run"), 0o755); err != nil {
		return err
	}
	if err := l.setupNetwork(ctx); err != nil {
		return err
	}
	for _, n := range Nodes {
		if err := ensureCgroupRoot(n.CgroupRoot); err != nil {
			return err
		}
		if err := l.writeNodeConfigs(n); err != nil {
			return err
		}
	}

	if err := l.startControlPlane(ctx); err != nil {
		return err
	}
	if err := l.apply(ctx, "flannel-rbac.yaml"); err != nil {
		return err
	}
	log("control plane ready (%s)", time.Since(start).Round(100*time.Millisecond))

	for _, n := range Nodes {
		if _, err := l.Start(l.containerdDaemon(n)); err != nil {
			return err
		}
	}
	for _, n := range Nodes {
		if err := l.waitCRI(ctx, n); err != nil {
			return err
		}
	}
	if err := l.importImages(ctx, append([]image{pauseImg, corednsImg}, treeImages...)...); err != nil {
		return err
	}
	for _, n := range Nodes {
		for _, d := range []Daemon{l.kubeletDaemon(n), l.KubeProxyDaemon(n)} {
			if _, err := l.Start(d); err != nil {
				return err
			}
		}
	}
	cs, err := l.Client()
	if err != nil {
		return err
	}
	// flanneld leases the podCIDR the node IPAM controller gives the node the
	// kubelet registered, and exits ("pod cidr not assigned") if it starts first.
	if err := l.waitPodCIDRs(ctx, cs, 90*time.Second); err != nil {
		return err
	}
	for _, n := range Nodes {
		if _, err := l.Start(l.flanneldDaemon(n, flanneld)); err != nil {
			return err
		}
	}
	for _, n := range Nodes {
		if err := l.writeCNIConfig(ctx, n); err != nil {
			return err
		}
	}
	if err := l.waitNodesReady(ctx, cs, 120*time.Second); err != nil {
		return err
	}
	log("%d nodes Ready (%s)", len(Nodes), time.Since(start).Round(100*time.Millisecond))

	if err := l.apply(ctx, "coredns.yaml"); err != nil {
		return err
	}
	if err := l.waitCoreDNS(ctx, cs); err != nil {
		return err
	}
	log("cluster up in %s; KUBECONFIG=%s", time.Since(start).Round(100*time.Millisecond), l.Kubeconfig())
	return nil
}
