package main

import (
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The krew plugin manifest, field for field as sigs.k8s.io/krew/pkg/index
// declares it (that module is not installable here, so the types are mirrored).
type Plugin struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PluginSpec `json:"spec"`
}

type PluginSpec struct {
	Version          string     `json:"version,omitempty"`
	ShortDescription string     `json:"shortDescription,omitempty"`
	Description      string     `json:"description,omitempty"`
	Caveats          string     `json:"caveats,omitempty"`
	Homepage         string     `json:"homepage,omitempty"`
	Platforms        []Platform `json:"platforms,omitempty"`
}

// Platform is one download: the archive for the os/arch its selector matches.
type Platform struct {
	URI      string                `json:"uri,omitempty"`
	Sha256   string                `json:"sha256,omitempty"`
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	Files    []FileOperation       `json:"files"`
	License  string                `json:"license,omitempty"`
	// Bin is the executable's path relative to the installed files.
	Bin string `json:"bin"`
}

type FileOperation struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// decodeManifest parses a manifest strictly: krew ignores unknown fields, so a
// misspelt one (say "sha265") would silently vanish from the index entry.
func decodeManifest(raw []byte) (Plugin, error) {
	var p Plugin
	if err := yaml.UnmarshalStrict(raw, &p); err != nil {
		return Plugin{}, fmt.Errorf("decode krew manifest: %w", err)
	}
	return p, nil
}

func readManifest(path string) (Plugin, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Plugin{}, fmt.Errorf("read krew manifest: %w", err)
	}
	p, err := decodeManifest(raw)
	if err != nil {
		return Plugin{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
