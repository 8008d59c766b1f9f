package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func TestTemplateRendersAValidManifest(t *testing.T) {
	dir := writeDist(t, nil)
	manifest := renderFixture(t, dir)
	d, err := loadDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkManifest(manifest, d); err != nil {
		t.Fatalf("rendered template is invalid: %v", err)
	}
	p, err := readManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Spec.Platforms) != len(fixturePlatforms) {
		t.Errorf("%d platforms, want one per archive (%d)", len(p.Spec.Platforms), len(fixturePlatforms))
	}
	// The RBAC each mode needs and the image overrides are what users must know
	// before the first run; the issue asks for them in caveats.
	for _, want := range []string{"pods/ephemeralcontainers", "pods/exec", "get nodes", "endpointslices",
		"ghcr.io/kubectl-netcheck/netcheck-probe", "--image", "--registry"} {
		if !strings.Contains(p.Spec.Caveats, want) {
			t.Errorf("caveats do not mention %q", want)
		}
	}
}

// Each case breaks one rule in a valid manifest; the checker must name it.
func TestManifestRulesCatchEachFault(t *testing.T) {
	linuxAMD64 := func(p *Plugin) *Platform { return &p.Spec.Platforms[0] }
	cases := []struct {
		name   string
		break_ func(p *Plugin)
		want   string
	}{
		{"wrong apiVersion", func(p *Plugin) { p.APIVersion = "krew.googlecontainertools.github.com/v1alpha1" }, "apiVersion"},
		{"wrong kind", func(p *Plugin) { p.Kind = "Plugins" }, "kind"},
		{"name differs from file", func(p *Plugin) { p.Name = "net-check" }, "metadata.name"},
		{"version without v", func(p *Plugin) { p.Spec.Version = fixtureVersion }, "must start with 'v'"},
		{"version not semver", func(p *Plugin) { p.Spec.Version = "v1.2" }, "spec.version"},
		{"version of another release", func(p *Plugin) { p.Spec.Version = "v1.2.4" }, "but the release is"},
		{"no shortDescription", func(p *Plugin) { p.Spec.ShortDescription = "" }, "shortDescription is empty"},
		{"shortDescription too long", func(p *Plugin) { p.Spec.ShortDescription = strings.Repeat("word ", 11) }, "characters"},
		{"shortDescription on two lines", func(p *Plugin) { p.Spec.ShortDescription = "a\nb" }, "line break"},
		{"no description", func(p *Plugin) { p.Spec.Description = " \n" }, "description is empty"},
		{"long caveats line", func(p *Plugin) { p.Spec.Caveats += strings.Repeat("many words ", 9) }, "caveats has a line over 80"},
		{"homepage not https", func(p *Plugin) { p.Spec.Homepage = "http://example.org" }, "homepage"},
		{"no platforms", func(p *Plugin) { p.Spec.Platforms = nil }, "platforms is empty"},
		{"wrong sha256", func(p *Plugin) { linuxAMD64(p).Sha256 = strings.Repeat("0", 64) }, "the archive's is"},
		{"upper-case sha256", func(p *Plugin) { linuxAMD64(p).Sha256 = strings.ToUpper(linuxAMD64(p).Sha256) }, "64 lower-case hex"},
		{"uri off the release", func(p *Plugin) {
			linuxAMD64(p).URI = strings.Replace(linuxAMD64(p).URI, "/v1.2.3/", "/v1.2.2/", 1)
		}, "want the release asset"},
		{"uri of no archive", func(p *Plugin) { linuxAMD64(p).URI = strings.Replace(linuxAMD64(p).URI, "amd64", "riscv64", 1) }, "no plugin archive named"},
		{"bin not in archive", func(p *Plugin) { linuxAMD64(p).Bin = "bin/kubectl-netcheck" }, "not among the installed files"},
		{"windows bin without .exe", func(p *Plugin) { p.Spec.Platforms[4].Bin = "kubectl-netcheck" }, "must end in .exe"},
		{"selectors swapped", func(p *Plugin) {
			p.Spec.Platforms[0].Selector, p.Spec.Platforms[1].Selector = p.Spec.Platforms[1].Selector, p.Spec.Platforms[0].Selector
		}, "does not select the archive's platform"},
		{"os only selector overlaps", func(p *Plugin) {
			linuxAMD64(p).Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"os": "linux"}}
		}, "all select os=linux arch=arm64"},
		{"unknown os value", func(p *Plugin) { linuxAMD64(p).Selector.MatchLabels["os"] = "Linux" }, `os="Linux"`},
		{"unsupported selector key", func(p *Plugin) { linuxAMD64(p).Selector.MatchLabels["distro"] = "debian" }, `key "distro"`},
		{"empty selector", func(p *Plugin) { linuxAMD64(p).Selector = &metav1.LabelSelector{} }, "selector is missing or empty"},
		{"empty files list", func(p *Plugin) { linuxAMD64(p).Files = []FileOperation{} }, "files is empty"},
		{"files that skip the bin", func(p *Plugin) { linuxAMD64(p).Files = []FileOperation{{From: "LICENSE", To: "."}} }, "not among the installed files"},
		{"platform dropped", func(p *Plugin) { p.Spec.Platforms = p.Spec.Platforms[1:] }, "is in no platform"},
		{"not a .tar.gz or .zip", func(p *Plugin) { linuxAMD64(p).URI = strings.TrimSuffix(linuxAMD64(p).URI, ".gz") }, "neither .tar.gz nor .zip"},
	}
	dir := writeDist(t, nil)
	good := renderFixture(t, dir)
	d, err := loadDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := readManifest(good)
			if err != nil {
				t.Fatal(err)
			}
			tc.break_(&p)
			manifest := writeManifest(t, p)
			err = checkManifest(manifest, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkManifest = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// Faults in the archives themselves, with a manifest rendered from them.
func TestArchiveFaults(t *testing.T) {
	cases := []struct {
		name  string
		files func(goos, goarch string) []archiveFile
		want  string
	}{
		{"no LICENSE", func(goos, goarch string) []archiveFile {
			return pluginFiles(goos)[:1]
		}, "lacks [LICENSE README.md]"},
		{"bin not executable", func(goos, goarch string) []archiveFile {
			fs := pluginFiles(goos)
			fs[0].mode = 0o644
			return fs
		}, "is not executable"},
		{"wrapped in a directory", func(goos, goarch string) []archiveFile {
			fs := pluginFiles(goos)
			for i := range fs {
				fs[i].name = "kubectl-netcheck/" + fs[i].name
			}
			return fs
		}, "not among the installed files"},
		{"entry escaping the install folder", func(goos, goarch string) []archiveFile {
			return append(pluginFiles(goos), archiveFile{name: "../../.bashrc", mode: 0o644, data: "x"})
		}, "escapes the install folder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDist(t, tc.files)
			manifest := renderFixture(t, dir)
			d, err := loadDist(dir)
			if err != nil {
				t.Fatal(err)
			}
			err = checkManifest(manifest, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkManifest = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestChecksumsMustAgree(t *testing.T) {
	dir := writeDist(t, nil)
	manifest := renderFixture(t, dir)
	sums := filepath.Join(dir, "checksums.txt")
	raw, err := os.ReadFile(sums)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "  ")
	if err := os.WriteFile(sums, []byte(strings.Replace(string(raw), first, strings.Repeat("f", 64), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := loadDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkManifest(manifest, d); err == nil || !strings.Contains(err.Error(), "checksums.txt has") {
		t.Fatalf("checkManifest = %v, want a checksums.txt mismatch", err)
	}
}

// A tar that is not gzipped is what krew refuses, whatever its name says.
func TestArchiveFormatIsReadFromContent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kubectl-netcheck.tar.gz")
	if err := os.WriteFile(file, []byte("plain text, not an archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := listArchive(file); err == nil || !strings.Contains(err.Error(), "krew installs only") {
		t.Fatalf("listArchive = %v, want a format error", err)
	}
}

func TestDecodeIsStrict(t *testing.T) {
	raw := "apiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nmetadata: {name: netcheck}\n" +
		"spec:\n  platforms:\n  - sha265: abc\n    bin: x\n"
	if _, err := decodeManifest([]byte(raw)); err == nil || !strings.Contains(err.Error(), "sha265") {
		t.Fatalf("decodeManifest = %v, want an unknown-field error naming sha265", err)
	}
}

func TestRenderFailsWithoutTheArchive(t *testing.T) {
	dir := writeDist(t, nil)
	if err := os.Remove(filepath.Join(dir, "kubectl-netcheck_v1.2.3_darwin_arm64.tar.gz")); err != nil {
		t.Fatal(err)
	}
	_, err := render(templatePath, "v"+fixtureVersion, dir)
	if err == nil || !strings.Contains(err.Error(), "darwin_arm64.tar.gz is not in") {
		t.Fatalf("render = %v, want it to name the missing archive", err)
	}
}

// The lines addURIAndSha writes must be what krew-release-bot writes, or the
// template would render differently in the release.
func TestURIAndShaMatchesTheBot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a_v1.0.0.tar.gz"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := uriAndSha("https://example.org/{{ .TagName }}/a_v{{ .Version }}.tar.gz", "v1.0.0", dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "uri: https://example.org/v1.0.0/a_v1.0.0.tar.gz\n" +
		"    sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // sha256("abc")
	if got != want {
		t.Fatalf("uriAndSha =\n%s\nwant\n%s", got, want)
	}
}

// A real binary built like the release (static, -trimpath, -X) passes; the
// same without the stamp, or with cgo, does not.
func TestStampNeedsAStaticStampedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three small binaries")
	}
	dir := t.TempDir()
	src := "package main\n\nvar Version = \"dev\"\n\nfunc main() { println(Version) }\n"
	for name, content := range map[string]string{"go.mod": "module stamp\n\ngo 1.26\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := func(out, cgo string, args ...string) string {
		t.Helper()
		bin := filepath.Join(dir, out)
		cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, args...), ".")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		return bin
	}
	const stamp = "7.7.7-stamped"
	release := build("release", "0", "-trimpath", "-ldflags", "-s -w -X main.Version="+stamp)
	if err := checkStamp(release, stamp); err != nil {
		t.Errorf("release-like build refused: %v", err)
	}
	if err := checkStamp(release, "7.7.8-other"); err == nil || !strings.Contains(err.Error(), "does not contain the version") {
		t.Errorf("checkStamp with another version = %v, want a missing-version error", err)
	}
	if err := checkStamp(build("untrimmed", "0", "-ldflags", "-X main.Version="+stamp), stamp); err == nil || !strings.Contains(err.Error(), "-trimpath") {
		t.Errorf("checkStamp of an untrimmed build = %v, want a -trimpath error", err)
	}
	if err := checkStamp(build("cgo", "1", "-trimpath", "-ldflags", "-X main.Version="+stamp), stamp); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED") {
		t.Errorf("checkStamp of a cgo build = %v, want a CGO_ENABLED error", err)
	}
}

func writeManifest(t *testing.T, p Plugin) string {
	t.Helper()
	raw, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "netcheck.yaml")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
