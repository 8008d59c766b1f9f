// Package report renders results: live progress lines (stderr) and the final
// report as a table with a verdict, or json, yaml or junit (stdout).
package report

import (
	"io"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Formats are the values -o accepts for the final report; "ndjson" is streamed by the engine.
func Formats() []string { return []string{"table", "json", "yaml", "junit", "ndjson"} }

// Print writes the final report in format ("" or "table", "json", "yaml", "junit").
func Print(w io.Writer, format string, r *v1alpha1.Report) error { return nil }

// Progress renders live lines on w (stderr) as the run resolves targets and probe events arrive.
type Progress struct{ w io.Writer }

// NewProgress returns a progress renderer writing to w.
func NewProgress(w io.Writer) *Progress { return &Progress{w: w} }

// Resolved prints what the source and targets resolved to, before any check runs.
func (p *Progress) Resolved(r *v1alpha1.Report) {}

// Event prints one probe event received from the agent at vantage.
func (p *Progress) Event(vantage string, ev v1alpha1.Event) {}

// Infof prints one free-form progress line (launching the agent, waiting, ...).
func (p *Progress) Infof(format string, args ...any) {}
