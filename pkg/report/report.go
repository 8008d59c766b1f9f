// Package report renders results: live progress lines (stderr) and the final
// report as a table with a verdict, or json, yaml or junit (stdout). Rendering is
// pure: it prints what the Report holds (the caller sets Findings and Verdict
// with diagnose.Diagnose/Decide first) and computes nothing new, beyond the
// difference of two counters it prints (a node's conntrack drops during the run).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Formats are the values -o accepts for the final report; "ndjson" is streamed by the engine.
func Formats() []string { return []string{"table", "json", "yaml", "junit", "ndjson"} }

// Print writes the final report in format ("" or "table", "json", "yaml", "junit").
func Print(w io.Writer, format string, r *v1alpha1.Report) error {
	if r == nil {
		return fmt.Errorf("print report: no report")
	}
	var err error
	switch format {
	case "", "table":
		err = printTable(w, r, terminalWidth(w))
	case "json":
		err = printJSON(w, r)
	case "yaml":
		err = printYAML(w, r)
	case "junit":
		err = printJUnit(w, r)
	case "ndjson":
		return fmt.Errorf("print report: -o ndjson streams probe events as they arrive; it has no final report")
	default:
		return fmt.Errorf("print report: unknown output format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("print report as %s: %w", firstNonEmpty(format, "table"), err)
	}
	return nil
}

func printJSON(w io.Writer, r *v1alpha1.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func printYAML(w io.Writer, r *v1alpha1.Report) error {
	b, err := yaml.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
