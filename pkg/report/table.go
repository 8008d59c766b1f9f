package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// printTable writes the kubectl-style report: a header line naming the source,
// one row per result, the findings with hop, evidence and fix, and the verdict.
//
// width is the terminal's width, 0 when the output is not a terminal. Like
// kubectl's tables, rows are then as wide as their cells (a log, a file or a
// pipe loses nothing); on a terminal the long columns wrap onto continuation
// lines instead, so an address and its port are never cut off.
func printTable(w io.Writer, r *v1alpha1.Report, width int) error {
	prose := lineWidth
	if width > 0 && width < prose {
		prose = width
	}
	var b strings.Builder
	writeSource(&b, r)
	if err := writeResults(&b, r, width); err != nil {
		return err
	}
	if err := writeTraces(&b, r); err != nil {
		return err
	}
	writeFindings(&b, r.Findings, prose)
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
	b.WriteString(src + "\n")
	writeNodeViews(b, r.Nodes)
	b.WriteString("\n")
}

// writeNodeViews says, under the source, which nodes the node view could not
// watch, so nobody reads the node evidence as complete; nothing when every
// node was watched (the finding node-view-unavailable has the reason and fix).
func writeNodeViews(b *strings.Builder, nodes []v1alpha1.NodeFacts) {
	var watched, unwatched []string
	for _, n := range nodes {
		switch {
		case n.View == nil:
		case n.View.Status == v1alpha1.NodeUnwatched:
			unwatched = append(unwatched, n.Name)
		default:
			watched = append(watched, n.Name)
		}
	}
	if len(unwatched) == 0 {
		return
	}
	line := fmt.Sprintf("NODES   not watched: %s (%s)", strings.Join(unwatched, ", "), diagnose.IDNodeViewUnavailable)
	if len(watched) > 0 {
		line += "; watched: " + strings.Join(watched, ", ")
	}
	b.WriteString(line + "\n")
}

// column is one table column; flexible columns (min > 0) wrap when the row is
// too wide for the terminal.
type column struct {
	header   string
	cell     func(v1alpha1.CheckResult) string
	min      int // 0: never shortened
	width    int
	disabled bool
}

func writeResults(b *strings.Builder, r *v1alpha1.Report, width int) error {
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
		{header: "RESULT", cell: withNotes(conntrackNotes(r)), min: 30},
		{header: "TIME", cell: func(c v1alpha1.CheckResult) string { return duration(c.DurationMillis) }},
	}
	var active []*column
	for _, c := range cols {
		if !c.disabled {
			active = append(active, c)
		}
	}
	rows := groupByTarget(r.Results)
	if width > 0 {
		fitColumns(active, rows, width)
	}

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 6, 4, 3, ' ', 0) // kubectl's printers.GetNewTabWriter settings
	cells := make([]string, len(active))
	for i, c := range active {
		cells[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
	lines := make([][]string, len(active))
	for _, res := range rows {
		height := 1
		for i, c := range active {
			text := oneLine(c.cell(res))
			lines[i] = []string{text}
			if width > 0 && c.min > 0 {
				lines[i] = wrap(text, c.width, "", "  ")
			}
			height = max(height, len(lines[i]))
		}
		// Continuation lines carry only the wrapped cells, the others empty
		// (every line keeps all its cells: tabwriter aligns runs of them).
		for l := 0; l < height; l++ {
			for i := range active {
				cells[i] = ""
				if l < len(lines[i]) {
					cells[i] = lines[i][l]
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Empty trailing cells leave padding behind.
	for _, l := range strings.SplitAfter(table.String(), "\n") {
		if l != "" {
			b.WriteString(strings.TrimRight(l, " \n") + "\n")
		}
	}
	return nil
}

// withNotes is resultCell with a note appended to the results it names by ID.
func withNotes(notes map[string]string) func(v1alpha1.CheckResult) string {
	return func(c v1alpha1.CheckResult) string {
		if n := notes[c.ID]; n != "" && c.Status != v1alpha1.StatusError {
			return c.Summary + "; " + n
		}
		return resultCell(c)
	}
}

func resultCell(c v1alpha1.CheckResult) string {
	if c.Status == v1alpha1.StatusError && c.Error != "" {
		return c.Error
	}
	return c.Summary
}

// fitColumns sets each column's width to its widest cell, then narrows the
// flexible columns, widest first, until a row fits width.
func fitColumns(cols []*column, rows []v1alpha1.CheckResult, width int) {
	total := 3 * (len(cols) - 1)
	floor := map[*column]int{}
	for _, c := range cols {
		c.width = utf8.RuneCountInString(c.header)
		// A flexible column wraps at spaces, so it cannot get narrower than its
		// longest word (an address, a name).
		floor[c] = max(c.min, c.width)
		for _, res := range rows {
			text := oneLine(c.cell(res))
			c.width = max(c.width, utf8.RuneCountInString(text))
			for _, word := range strings.Fields(text) {
				floor[c] = max(floor[c], utf8.RuneCountInString(word))
			}
		}
		total += c.width
	}
	for total > width {
		var widest *column
		for _, c := range cols {
			if c.min > 0 && c.width > floor[c] && (widest == nil || c.width > widest.width) {
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

func writeFindings(b *strings.Builder, findings []v1alpha1.Finding, width int) {
	if len(findings) == 0 {
		return
	}
	b.WriteString("\nFINDINGS\n")
	for i, f := range findings {
		head := fmt.Sprintf("%d. %s %s: ", i+1, strings.ToUpper(string(f.Severity)), f.ID)
		for _, l := range wrap(f.Summary, width, head, "   ") {
			b.WriteString(l + "\n")
		}
		field(b, width, "hop:", []string{f.Hop})
		field(b, width, "evidence:", f.Evidence)
		field(b, width, "fix:", []string{f.Fix})
		field(b, width, "checks:", []string{strings.Join(f.CheckIDs, ", ")})
	}
}

// field writes a labelled, wrapped block: "   evidence: first line\n             next".
func field(b *strings.Builder, width int, label string, values []string) {
	const labelWidth = 10
	pad := strings.Repeat(" ", 3+labelWidth)
	first := fmt.Sprintf("   %-*s", labelWidth, label)
	for _, v := range values {
		if v == "" {
			continue
		}
		for _, l := range wrap(v, width, first, pad+"  ") {
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
