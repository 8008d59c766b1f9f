package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// printTable writes the kubectl-style report: a header line naming the source,
// one row per result, the findings with hop, evidence and fix, and the verdict.
func printTable(w io.Writer, r *v1alpha1.Report) error {
	var b strings.Builder
	writeSource(&b, r)
	if err := writeResults(&b, r); err != nil {
		return err
	}
	if err := writeTraces(&b, r); err != nil {
		return err
	}
	writeFindings(&b, r.Findings)
	writeVerdict(&b, r.Verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSource(b *strings.Builder, r *v1alpha1.Report) {
	if r.Source.Pod == "" { // node/NAME
		b.WriteString(ellipsize(fmt.Sprintf("SOURCE  node %s, mode %s", firstNonEmpty(r.Source.Node, "?"), firstNonEmpty(r.Mode, "?")), lineWidth) + "\n\n")
		return
	}
	src := fmt.Sprintf("SOURCE  pod %s/%s on node %s (%s), mode %s", r.Source.Namespace, r.Source.Pod,
		firstNonEmpty(r.Source.Node, "?"), firstNonEmpty(strings.Join(r.Source.PodIPs, ", "), "no IP"), firstNonEmpty(r.Mode, "?"))
	b.WriteString(ellipsize(src, lineWidth) + "\n\n")
}

// column is one table column; flexible columns give up width when the row is too wide.
type column struct {
	header   string
	cell     func(v1alpha1.CheckResult) string
	min      int // 0: never shortened
	width    int
	disabled bool
}

func writeResults(b *strings.Builder, r *v1alpha1.Report) error {
	if len(r.Results) == 0 {
		b.WriteString("No check results.\n")
		return nil
	}
	vantages := map[string]bool{}
	for _, res := range r.Results {
		vantages[res.Vantage] = true
	}
	cols := []*column{
		{header: "TARGET", cell: func(c v1alpha1.CheckResult) string { return c.Target }, min: 24},
		{header: "CHECK", cell: func(c v1alpha1.CheckResult) string { return c.Check }},
		{header: "VANTAGE", cell: func(c v1alpha1.CheckResult) string { return c.Vantage }, min: 16, disabled: len(vantages) < 2},
		{header: "STATUS", cell: func(c v1alpha1.CheckResult) string { return strings.ToUpper(string(c.Status)) }},
		{header: "RESULT", cell: resultCell, min: 30},
		{header: "TIME", cell: func(c v1alpha1.CheckResult) string { return duration(c.DurationMillis) }},
	}
	var active []*column
	for _, c := range cols {
		if !c.disabled {
			active = append(active, c)
		}
	}
	rows := groupByTarget(r.Results)
	fitColumns(active, rows)

	tw := tabwriter.NewWriter(b, 6, 4, 3, ' ', 0) // kubectl's printers.GetNewTabWriter settings
	cells := make([]string, len(active))
	for i, c := range active {
		cells[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
	for _, res := range rows {
		for i, c := range active {
			cells[i] = ellipsize(oneLine(c.cell(res)), c.width)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func resultCell(c v1alpha1.CheckResult) string {
	if c.Status == v1alpha1.StatusError && c.Error != "" {
		return c.Error
	}
	return c.Summary
}

// fitColumns sets each column's width to its widest cell, then shortens the
// flexible columns, widest first, until a row fits lineWidth.
func fitColumns(cols []*column, rows []v1alpha1.CheckResult) {
	total := 3 * (len(cols) - 1)
	for _, c := range cols {
		c.width = utf8.RuneCountInString(c.header)
		for _, res := range rows {
			c.width = max(c.width, utf8.RuneCountInString(oneLine(c.cell(res))))
		}
		total += c.width
	}
	for total > lineWidth {
		var widest *column
		for _, c := range cols {
			if c.min > 0 && c.width > c.min && (widest == nil || c.width > widest.width) {
				widest = c
			}
		}
		if widest == nil {
			return
		}
		widest.width--
		total--
	}
}

// groupByTarget orders results so rows of one target sit together, targets in
// order of first appearance and results within a target in report order.
func groupByTarget(results []v1alpha1.CheckResult) []v1alpha1.CheckResult {
	var order []string
	by := map[string][]v1alpha1.CheckResult{}
	for _, res := range results {
		if _, ok := by[res.Target]; !ok {
			order = append(order, res.Target)
		}
		by[res.Target] = append(by[res.Target], res)
	}
	out := make([]v1alpha1.CheckResult, 0, len(results))
	for _, t := range order {
		out = append(out, by[t]...)
	}
	return out
}

func writeFindings(b *strings.Builder, findings []v1alpha1.Finding) {
	if len(findings) == 0 {
		return
	}
	b.WriteString("\nFINDINGS\n")
	for i, f := range findings {
		head := fmt.Sprintf("%d. %s %s: ", i+1, strings.ToUpper(string(f.Severity)), f.ID)
		for _, l := range wrap(f.Summary, lineWidth, head, "   ") {
			b.WriteString(l + "\n")
		}
		field(b, "hop:", []string{f.Hop})
		field(b, "evidence:", f.Evidence)
		field(b, "fix:", []string{f.Fix})
		field(b, "checks:", []string{strings.Join(f.CheckIDs, ", ")})
	}
}

// field writes a labelled, wrapped block: "   evidence: first line\n             next".
func field(b *strings.Builder, label string, values []string) {
	const labelWidth = 10
	pad := strings.Repeat(" ", 3+labelWidth)
	first := fmt.Sprintf("   %-*s", labelWidth, label)
	for _, v := range values {
		if v == "" {
			continue
		}
		for _, l := range wrap(v, lineWidth, first, pad+"  ") {
			b.WriteString(l + "\n")
		}
		first = pad
	}
}

func writeVerdict(b *strings.Builder, v v1alpha1.Verdict) {
	if v.Status == "" {
		b.WriteString("\nVERDICT  not decided\n")
		return
	}
	// One unwrapped line on purpose: CI logs and scripts grep for it.
	fmt.Fprintf(b, "\nVERDICT  %s (exit %d)\n", oneLine(v.Summary), v.ExitCode)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
