package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Explain writes what `kubectl netcheck explain ID` prints for one catalogue entry.
func Explain(w io.Writer, e diagnose.Entry) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", e.ID, e.Title)
	fmt.Fprintf(&b, "Severity: %s\n\n", e.Severity)
	for _, l := range wrap(e.Description, 100, "", "") {
		b.WriteString(l + "\n")
	}
	b.WriteString("\nFix:\n")
	for _, l := range wrap(e.Fix, 100, "  ", "  ") {
		b.WriteString(l + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("explain %s: %w", e.ID, err)
	}
	return nil
}

// ExplainList writes the catalogue as a table (`kubectl netcheck explain` without an ID).
func ExplainList(w io.Writer, entries []diagnose.Entry) error {
	tw := tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.ID, e.Severity, e.Title)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("list findings: %w", err)
	}
	return nil
}
