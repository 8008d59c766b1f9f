package diagnose

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/findings.md from the catalogue")

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

func TestCatalogueEntriesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Catalogue() {
		if !kebab.MatchString(e.ID) {
			t.Errorf("%q is not a kebab-case ID", e.ID)
		}
		if seen[e.ID] {
			t.Errorf("%q is listed twice", e.ID)
		}
		seen[e.ID] = true
		if e.Title == "" || e.Description == "" || e.Fix == "" || e.Severity == "" {
			t.Errorf("%q: title, severity, description and fix are all required: %+v", e.ID, e)
		}
		got, ok := Lookup(e.ID)
		if !ok || got.ID != e.ID {
			t.Errorf("Lookup(%q) = %+v, %v", e.ID, got, ok)
		}
	}
	if _, ok := Lookup("no-such-finding"); ok {
		t.Error("Lookup of an unknown ID succeeded")
	}
}

func TestCatalogueIsACopy(t *testing.T) {
	c := Catalogue()
	c[0].Title = "changed"
	if Catalogue()[0].Title == "changed" {
		t.Error("Catalogue() exposes the package's slice")
	}
}

// TestFindingsDocIsCurrent keeps docs/findings.md generated from the catalogue.
// Regenerate with: go test ./pkg/diagnose -run TestFindingsDocIsCurrent -update-docs
func TestFindingsDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "findings.md")
	want := CatalogueMarkdown()
	if *updateDocs {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (generate it with -update-docs)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./pkg/diagnose -run TestFindingsDocIsCurrent -update-docs", path)
	}
	for _, e := range Catalogue() {
		if !bytes.Contains(got, []byte("## "+e.ID+"\n")) {
			t.Errorf("%s has no section for %s", path, e.ID)
		}
	}
}
