package main

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sversion "k8s.io/apimachinery/pkg/util/version"
)

// The structural rules of sigs.k8s.io/krew internal/index/validation and
// cmd/validate-krew-manifest, plus the krew-index review rules that krew only
// warns about (line lengths), which fail here.
const (
	apiVersion = "krew.googlecontainertools.github.com/v1alpha2"
	pluginKind = "Plugin"
	// krew-index asks for "a few words" so `kubectl krew search` stays one line.
	maxShortDescription = 50
	maxDescriptionLine  = 80
)

var (
	safePluginName = regexp.MustCompile(`^[\w-]+$`)
	validSHA256    = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// Names Windows cannot use for a file, which krew rejects as plugin names.
	windowsForbidden = []string{"CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5",
		"COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"}
	// The os and arch label values krew is released for (its selectors match
	// GOOS/GOARCH of the machine running krew).
	krewOS   = []string{"darwin", "linux", "windows"}
	krewArch = []string{"386", "amd64", "arm", "arm64", "ppc64le", "s390x"}
)

// validateStructure checks what krew checks before it accepts a manifest named
// name (the file name without .yaml), without looking at any archive.
func validateStructure(name string, p Plugin) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if p.APIVersion != apiVersion {
		fail("apiVersion is %q, krew reads only %q", p.APIVersion, apiVersion)
	}
	if p.Kind != pluginKind {
		fail("kind is %q, want %q", p.Kind, pluginKind)
	}
	if !isSafePluginName(name) {
		fail("plugin name %q is not allowed: it must match %s and not be a reserved Windows name", name, safePluginName)
	}
	if p.Name != name {
		fail("metadata.name is %q but the manifest file says %q: krew needs them equal", p.Name, name)
	}
	if err := validateVersion(p.Spec.Version); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateDocs(p.Spec)...)
	if len(p.Spec.Platforms) == 0 {
		fail("spec.platforms is empty")
	}
	for i, pl := range p.Spec.Platforms {
		if err := validatePlatform(pl); err != nil {
			fail("spec.platforms[%d]: %w", i, err)
		}
	}
	if err := overlappingSelectors(p.Spec.Platforms); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func isSafePluginName(name string) bool {
	return safePluginName.MatchString(name) &&
		!slices.ContainsFunc(windowsForbidden, func(f string) bool { return strings.EqualFold(f, name) })
}

// validateVersion applies krew's semver rule: a leading v, then semantic version.
func validateVersion(v string) error {
	if v == "" {
		return errors.New("spec.version is empty")
	}
	if !strings.HasPrefix(v, "v") {
		return fmt.Errorf("spec.version %q must start with 'v'", v)
	}
	if _, err := k8sversion.ParseSemantic(v); err != nil {
		return fmt.Errorf("spec.version %q: %w", v, err)
	}
	return nil
}

func validateDocs(s PluginSpec) []error {
	var errs []error
	switch {
	case s.ShortDescription == "":
		errs = append(errs, errors.New("spec.shortDescription is empty"))
	case strings.ContainsAny(s.ShortDescription, "\r\n"):
		errs = append(errs, errors.New("spec.shortDescription has a line break"))
	case len(s.ShortDescription) > maxShortDescription:
		errs = append(errs, fmt.Errorf("spec.shortDescription has %d characters, at most %d fit `kubectl krew search`",
			len(s.ShortDescription), maxShortDescription))
	}
	if strings.TrimSpace(s.Description) == "" {
		errs = append(errs, errors.New("spec.description is empty"))
	}
	for field, text := range map[string]string{"description": s.Description, "caveats": s.Caveats} {
		if line, ok := longLine(text, maxDescriptionLine); !ok {
			errs = append(errs, fmt.Errorf("spec.%s has a line over %d characters: %q", field, maxDescriptionLine, line))
		}
	}
	if u, err := url.Parse(s.Homepage); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("spec.homepage %q is not an https URL", s.Homepage))
	}
	return errs
}

// longLine finds a line over max characters; a single long word (a URL) is fine,
// as in krew's check.
func longLine(s string, max int) (string, bool) {
	for line := range strings.SplitSeq(s, "\n") {
		if len(line) > max && strings.Contains(strings.TrimSpace(line), " ") {
			return line, false
		}
	}
	return "", true
}

func validatePlatform(p Platform) error {
	switch {
	case p.URI == "":
		return errors.New("uri is empty")
	case p.Sha256 == "":
		return errors.New("sha256 is empty")
	case !validSHA256.MatchString(p.Sha256):
		return fmt.Errorf("sha256 %q is not 64 lower-case hex digits", p.Sha256)
	case p.Bin == "":
		return errors.New("bin is empty")
	}
	if u, err := url.Parse(p.URI); err != nil || u.Scheme != "https" {
		return fmt.Errorf("uri %q is not an https URL", p.URI)
	}
	if !strings.HasSuffix(p.URI, ".tar.gz") && !strings.HasSuffix(p.URI, ".zip") {
		return fmt.Errorf("uri %q is neither .tar.gz nor .zip", p.URI)
	}
	if p.Files != nil && len(p.Files) == 0 {
		return errors.New("files is empty: leave it out to install every file, or list operations")
	}
	for _, op := range p.Files {
		if op.From == "" || op.To == "" {
			return fmt.Errorf("files entry %+v needs both from and to", op)
		}
	}
	if err := validateSelector(p.Selector); err != nil {
		return err
	}
	selectsWindows := slices.ContainsFunc(krewArch, func(arch string) bool { return selects(p.Selector, "windows", arch) })
	if selectsWindows && !strings.HasSuffix(p.Bin, ".exe") {
		return fmt.Errorf("bin %q on windows must end in .exe (krew runs only .exe entrypoints there)", p.Bin)
	}
	if path.IsAbs(p.Bin) || strings.HasPrefix(path.Clean(p.Bin), "..") {
		return fmt.Errorf("bin %q must be relative to the installed files", p.Bin)
	}
	return nil
}

// validateSelector: only os and arch keys, values krew is released for, and a
// selector that matches at least one platform.
func validateSelector(sel *metav1.LabelSelector) error {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return errors.New("selector is missing or empty")
	}
	if sel.MatchLabels != nil && len(sel.MatchLabels) == 0 {
		return errors.New("selector.matchLabels is given but empty")
	}
	for k, v := range sel.MatchLabels {
		if err := checkLabel(k, []string{v}); err != nil {
			return err
		}
	}
	for _, e := range sel.MatchExpressions {
		if err := checkLabel(e.Key, e.Values); err != nil {
			return err
		}
	}
	if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		return fmt.Errorf("selector: %w", err)
	}
	if goos, arch := selectorOSArch(sel); goos == "" || arch == "" {
		return fmt.Errorf("selector %v matches no os/arch krew runs on", sel)
	}
	return nil
}

func checkLabel(key string, values []string) error {
	allowed := map[string][]string{"os": krewOS, "arch": krewArch}[key]
	if allowed == nil {
		return fmt.Errorf("selector key %q is not supported: only os and arch", key)
	}
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("selector %s=%q is not a value krew uses (%v)", key, v, allowed)
		}
	}
	return nil
}

// selectorOSArch returns the first os/arch krew runs on that sel selects.
func selectorOSArch(sel *metav1.LabelSelector) (string, string) {
	for _, goos := range krewOS {
		for _, arch := range krewArch {
			if selects(sel, goos, arch) {
				return goos, arch
			}
		}
	}
	return "", ""
}

func selects(sel *metav1.LabelSelector, goos, arch string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set{"os": goos, "arch": arch})
}

// overlappingSelectors: krew installs the first platform that matches, so two
// platforms selecting one os/arch hide one of them.
func overlappingSelectors(ps []Platform) error {
	for _, goos := range krewOS {
		for _, arch := range krewArch {
			var hits []int
			for i, p := range ps {
				if p.Selector != nil && selects(p.Selector, goos, arch) {
					hits = append(hits, i)
				}
			}
			if len(hits) > 1 {
				return fmt.Errorf("spec.platforms %v all select os=%s arch=%s", hits, goos, arch)
			}
		}
	}
	return nil
}
