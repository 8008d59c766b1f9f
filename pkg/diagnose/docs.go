package diagnose

import (
	"bytes"
	"fmt"
)

// CatalogueMarkdown renders the catalogue as docs/findings.md. The file is
// generated, never edited by hand: TestFindingsDocIsCurrent fails when it is
// stale and rewrites it with -update-docs.
func CatalogueMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Generated from pkg/diagnose/catalogue.go by " +
		"`go test ./pkg/diagnose -run TestFindingsDocIsCurrent -update-docs`. DO NOT EDIT. -->\n\n")
	b.WriteString("# Findings\n\n")
	b.WriteString("Every finding kubectl-netcheck reports has a stable ID (`kubectl netcheck explain ID`). " +
		"Severity `fault` makes the run exit 1; `warning` and `info` do not, except that the check-* " +
		"findings and node-view-unavailable make a run without faults inconclusive (exit 2). A rule may raise or lower a finding's " +
		"severity from the default below when the evidence says so (e.g. a warning becomes a fault when " +
		"connections are refused).\n\n")
	b.WriteString("| ID | Default severity | Title |\n|---|---|---|\n")
	for _, e := range catalogue {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", e.ID, e.ID, e.Severity, e.Title)
	}
	for _, e := range catalogue {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s)\n\n%s\n\n**Fix:** %s\n", e.ID, e.Title, e.Severity, e.Description, e.Fix)
	}
	return b.Bytes()
}
