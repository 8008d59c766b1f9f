package main

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

// templateValues are the values krew-release-bot gives a template that this
// renderer also gives; a template using anything else fails here first.
type templateValues struct {
	TagName string
}

// render expands a krew-release-bot template the way the bot does
// (rajatjindal/krew-release-bot pkg/source/template.go), except that
// addURIAndSha hashes the archive in distDir instead of downloading it: the
// same bytes are uploaded, so the same sha256 results.
func render(templateFile, tag, distDir string) ([]byte, error) {
	raw, err := os.ReadFile(templateFile)
	if err != nil {
		return nil, fmt.Errorf("read krew template: %w", err)
	}
	funcs := template.FuncMap{
		"indent":       indent,
		"addURIAndSha": func(url, tag string) (string, error) { return uriAndSha(url, tag, distDir) },
	}
	t, err := template.New(filepath.Base(templateFile)).Funcs(funcs).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("parse krew template %s: %w", templateFile, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, templateValues{TagName: tag}); err != nil {
		return nil, fmt.Errorf("render krew template %s: %w", templateFile, err)
	}
	return out.Bytes(), nil
}

// uriAndSha renders the download URL (it is itself a template over the tag) and
// returns the two manifest lines the bot writes, sha256 indented for a platform.
func uriAndSha(urlTemplate, tag, distDir string) (string, error) {
	t, err := template.New("url").Option("missingkey=error").Parse(urlTemplate)
	if err != nil {
		return "", fmt.Errorf("parse url template %q: %w", urlTemplate, err)
	}
	var url strings.Builder
	if err := t.Execute(&url, struct{ TagName, Version string }{tag, versionFromTag(tag)}); err != nil {
		return "", fmt.Errorf("render url %q: %w", urlTemplate, err)
	}
	local := filepath.Join(distDir, path.Base(url.String()))
	sum, err := sha256File(local)
	if err != nil {
		return "", fmt.Errorf("%s is not in %s (the release would not have it either): %w", path.Base(url.String()), distDir, err)
	}
	return fmt.Sprintf("uri: %s\n    sha256: %s", url.String(), sum), nil
}

var dottedVersion = regexp.MustCompile(`\d+(\.\d+)+`)

// versionFromTag is the bot's .Version inside a URL: "v1.2.3" -> "1.2.3".
func versionFromTag(tag string) string {
	if v := dottedVersion.FindString(tag); v != "" {
		return v
	}
	return tag
}

// indent is the bot's helper for multi-line values; kept so templates that use
// it render identically here.
func indent(spaces int, v string) string {
	v = strings.ReplaceAll(v, "    sha256:", "sha256:")
	pad := strings.Repeat(" ", spaces)
	return strings.TrimSpace(pad + strings.ReplaceAll(v, "\n", "\n"+pad))
}
