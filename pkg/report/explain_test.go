package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

func TestExplain(t *testing.T) {
	e, ok := diagnose.Lookup(diagnose.IDMTUBlackHole)
	if !ok {
		t.Fatal("mtu-black-hole is not catalogued")
	}
	var out bytes.Buffer
	if err := Explain(&out, e); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"mtu-black-hole: Path MTU black hole\n", "Severity: fault\n", "\nFix:\n  Set the CNI/pod MTU"} {
		if !strings.Contains(text, want) {
			t.Errorf("explain lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(text), " "), e.Description) {
		t.Error("explain drops part of the description")
	}
	for _, l := range strings.Split(text, "\n") {
		if utf8.RuneCountInString(l) > 102 {
			t.Errorf("line too long: %q", l)
		}
	}
}

func TestExplainList(t *testing.T) {
	var out bytes.Buffer
	if err := ExplainList(&out, diagnose.Catalogue()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(diagnose.Catalogue())+1 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("want a header and one row per entry:\n%s", out.String())
	}
	for i, e := range diagnose.Catalogue() {
		if f := strings.Fields(lines[i+1]); f[0] != e.ID || f[1] != string(e.Severity) {
			t.Errorf("row %d = %q, want %s %s", i, lines[i+1], e.ID, e.Severity)
		}
	}
}
