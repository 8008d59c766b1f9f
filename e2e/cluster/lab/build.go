package lab

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// k8sCommands are built from k8s.io/kubernetes in one `go build`: the six share
// most packages, so one build is far faster than six.
var k8sCommands = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"}

// k8sStaging are the staging modules k8s.io/kubernetes' go.mod replaces with
// ./staging/...; a wrapper module must replace them with their published v0.x.
var k8sStaging = []string{
	"api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
	"cloud-provider", "cluster-bootstrap", "code-generator", "component-base", "component-helpers",
	"controller-manager", "cri-api", "cri-client", "csi-translation-lib", "dynamic-resource-allocation",
	"endpointslice", "externaljwt", "kms", "kube-aggregator", "kube-controller-manager", "kube-proxy",
	"kube-scheduler", "kubectl", "kubelet", "metrics", "mount-utils", "pod-security-admission",
	"sample-apiserver", "sample-cli-plugin", "sample-controller",
}

// goEnv is the environment for the builds the harness runs: static binaries, the
// local toolchain, and none of the caller's GOFLAGS (`go install m@v` rejects -mod).
func goEnv(extra ...string) []string {
	env := append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=")
	return append(env, extra...)
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, tail(string(out), 30))
	}
	return nil
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// EnsureK8s builds the six Kubernetes binaries unless all are there. Cold on
// two cores this takes ~15 minutes (mostly compiling); warm Go caches ~20 s.
func (l *Lab) EnsureK8s(ctx context.Context, log func(string, ...any)) error {
	if l.haveK8s() {
		return nil
	}
	unlock, err := l.lock("build-k8s")
	if err != nil {
		return err
	}
	defer unlock()
	if l.haveK8s() { // built by whoever held the lock
		return nil
	}
	dir := l.path("build", "k8s")
	if err := writeK8sWrapper(dir); err != nil {
		return err
	}
	start := time.Now()
	if !exists(filepath.Join(dir, "go.sum")) {
		log("resolving k8s.io/kubernetes %s modules (go mod tidy in %s)", K8sVersion, dir)
		if err := goCmd(ctx, dir, goEnv(), "mod", "tidy"); err != nil {
			return err
		}
	}
	log("building Kubernetes %s (%s); cold on 2 cores this takes ~15 min", K8sVersion, strings.Join(k8sCommands, ", "))
	args := []string{"build", "-trimpath", "-ldflags", k8sLdflags(), "-o", l.K8sBinDir() + "/"}
	for _, c := range k8sCommands {
		args = append(args, "k8s.io/kubernetes/cmd/"+c)
	}
	if err := goCmd(ctx, dir, goEnv("GOFLAGS=-mod=mod"), args...); err != nil {
		return err
	}
	log("built Kubernetes in %s", time.Since(start).Round(time.Second))
	return nil
}

func (l *Lab) haveK8s() bool {
	for _, c := range k8sCommands {
		if st, err := os.Stat(l.K8sBin(c)); err != nil || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// k8sLdflags stamps the version the way the release build does; without it the
// components say v0.0.0-master and kubectl's version-skew logic misfires.
func k8sLdflags() string {
	major, minor, _ := strings.Cut(strings.TrimPrefix(K8sVersion, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	flags := []string{"-s", "-w"}
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		flags = append(flags,
			"-X", pkg+".gitVersion="+K8sVersion,
			"-X", pkg+".gitMajor="+major,
			"-X", pkg+".gitMinor="+minor,
			"-X", pkg+".gitTreeState=clean",
			"-X", pkg+".buildDate=2026-01-01T00:00:00Z")
	}
	return strings.Join(flags, " ")
}

// k8sWrapperGoMod is the wrapper module's go.mod before tidy. The go and godebug
// lines copy kubernetes' own go.mod, so it builds with the semantics it expects.
func k8sWrapperGoMod() string {
	var b strings.Builder
	b.WriteString("module netcheck.local/k8sbuild\n\ngo 1.24.0\n\ngodebug default=go1.24\n\n")
	b.WriteString("require k8s.io/kubernetes " + K8sVersion + "\n\n")
	stagingVersion := "v0" + strings.TrimPrefix(K8sVersion, "v1")
	for _, m := range k8sStaging {
		fmt.Fprintf(&b, "replace k8s.io/%s => k8s.io/%s %s\n", m, m, stagingVersion)
	}
	return b.String()
}

// writeK8sWrapper writes go.mod and tools.go unless a tidied module is there.
func writeK8sWrapper(dir string) error {
	if exists(filepath.Join(dir, "go.sum")) && exists(filepath.Join(dir, "tools.go")) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("k8s wrapper module: %w", err)
	}
	var tools strings.Builder
	tools.WriteString("//go:build tools\n\n// Package tools keeps the six commands in the module graph for go mod tidy.\npackage tools\n\nimport (\n")
	for _, c := range k8sCommands {
		fmt.Fprintf(&tools, "\t_ \"k8s.io/kubernetes/cmd/%s\"\n", c)
	}
	tools.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(k8sWrapperGoMod()), 0o644); err != nil {
		return fmt.Errorf("k8s wrapper go.mod: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tools.go"), []byte(tools.String()), 0o644); err != nil {
		return fmt.Errorf("k8s wrapper tools.go: %w", err)
	}
	return nil
}

// EnsureCoreDNS builds CoreDNS from the module proxy (no replace directives, so
// plain `go install m@v` works).
func (l *Lab) EnsureCoreDNS(ctx context.Context, log func(string, ...any)) error {
	if exists(l.CoreDNSBin()) {
		return nil
	}
	unlock, err := l.lock("build-coredns")
	if err != nil {
		return err
	}
	defer unlock()
	if exists(l.CoreDNSBin()) {
		return nil
	}
	log("building CoreDNS %s (~4 min cold)", CoreDNSVersion)
	return goCmd(ctx, "/", goEnv("GOBIN="+filepath.Dir(l.CoreDNSBin())),
		"install", "-trimpath", "-ldflags=-s -w", "github.com/coredns/coredns@"+CoreDNSVersion)
}

// FlanneldBin builds e2e/flanneld (a module of its own) if its sources changed
// since the last build, and returns the binary's path.
func (l *Lab) FlanneldBin(ctx context.Context, log func(string, ...any)) (string, error) {
	src := filepath.Join(l.Repo, "e2e", "flanneld")
	sum, err := hashFiles(src, "go.mod", "go.sum", "*.go")
	if err != nil {
		return "", fmt.Errorf("hash flanneld sources: %w", err)
	}
	bin := l.path("bin", "flanneld-"+sum, "flanneld")
	if exists(bin) {
		return bin, nil
	}
	unlock, err := l.lock("build-flanneld")
	if err != nil {
		return "", err
	}
	defer unlock()
	if exists(bin) {
		return bin, nil
	}
	log("building flanneld (flannel %s library packages, e2e/flanneld)", FlannelVersion)
	if err := goCmd(ctx, src, goEnv(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "."); err != nil {
		return "", err
	}
	return bin, nil
}

//go:embed assets/pause.c
var pauseSource []byte

// PauseBin compiles the static pause binary with gcc.
func (l *Lab) PauseBin(ctx context.Context) (string, error) {
	h := sha256.Sum256(pauseSource)
	dir := l.path("bin", "pause-"+hex.EncodeToString(h[:6]))
	bin := filepath.Join(dir, "pause")
	if exists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(dir, "pause.c")
	if err := os.WriteFile(src, pauseSource, 0o644); err != nil {
		return "", err
	}
	if _, err := run(ctx, "gcc", "-static", "-Os", "-s", "-Wall", "-o", bin, src); err != nil {
		return "", fmt.Errorf("build pause: %w", err)
	}
	return bin, nil
}

// hashFiles hashes the files in dir matching the patterns, in order.
func hashFiles(dir string, patterns ...string) (string, error) {
	h := sha256.New()
	for _, p := range patterns {
		matches, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			return "", err
		}
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %d\n", filepath.Base(m), len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
