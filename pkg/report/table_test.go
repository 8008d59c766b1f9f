package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// diagnosed returns r with Findings and Verdict set, as the plugin prints it.
func diagnosed(r *v1alpha1.Report) *v1alpha1.Report {
	r.Findings = diagnose.Diagnose(r)
	r.Verdict = diagnose.Decide(r)
	return r
}

func TestTableGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report *v1alpha1.Report
		// width is the terminal's; 0 is not a terminal.
		width int
	}{
		{"one_endpoint_refused", diagnosed(fx.OneEndpointRefused()), 0},
		{"healthy", diagnosed(fx.Healthy()), 0},
		{"healthy_terminal_80", diagnosed(fx.Healthy()), 80},
		{"node_view_partial", diagnosed(partialNodeView()), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := printTable(&out, tc.report, tc.width); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".txt")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if out.String() != string(want) {
				t.Errorf("table differs from %s (rerun with -update if intended)\n--- got\n%s\n--- want\n%s", golden, out.String(), want)
			}
		})
	}
}

// On a 120-column terminal the table fits by wrapping its long cells: no line
// is wider, nothing is cut off (the review found "10.96.73.64:…": the port lost).
func TestTableOnATerminalWraps(t *testing.T) {
	r := diagnosed(fx.Busy())
	var out bytes.Buffer
	if err := printTable(&out, r, lineWidth); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "VERDICT") {
			continue // one grep-able line by design
		}
		if n := utf8.RuneCountInString(l); n > lineWidth {
			t.Errorf("line of %d runes > %d:\n%s", n, lineWidth, l)
		}
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space: %q", l)
		}
	}
	if strings.Contains(text, "…") {
		t.Errorf("a cell was cut off:\n%s", text)
	}
	// Every target label and result is there whole, if over several lines.
	flat := strings.Join(strings.Fields(text), " ")
	for _, res := range r.Results {
		for _, cell := range []string{res.Target, resultCell(res)} {
			for _, word := range strings.Fields(cell) {
				if !strings.Contains(flat, word) {
					t.Errorf("%q of %q is missing", word, cell)
				}
			}
		}
	}
	for _, want := range []string{
		"TARGET", "VANTAGE", "node k8slab-node1", // two vantages: the column shows
		"1. FAULT listening-on-loopback-only: ",
		"   hop:      pod default/api-0 10.244.1.9:9000 on node k8slab-node2",
		"   evidence: connects to 10.244.1.9:9000: 20 of 20 refused (100%) [ECONNREFUSED x20]",
		"5. WARNING check-error",
		"6. INFO icmp-blocked-tcp-ok",
		"VERDICT  FAULT [listening-on-loopback-only]",
		"(exit 1)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q\n%s", want, text)
		}
	}
}

// Not on a terminal (a pipe, a file, a CI log), rows are as wide as their
// cells, as in kubectl's tables: one line per result, whole.
func TestTableOffATerminalIsWide(t *testing.T) {
	r := diagnosed(fx.Busy())
	var out bytes.Buffer
	if err := Print(&out, "table", r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for _, res := range r.Results {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, res.Target+" ") && strings.Contains(l, oneLine(resultCell(res)))
		}
		if !found {
			t.Errorf("no line holds %q with its result %q:\n%s", res.Target, resultCell(res), out.String())
		}
	}
}

func TestTableRowsGroupedByTarget(t *testing.T) {
	r := fx.NewReport(nil,
		fx.TCP("a", "svc/web", "10.96.0.20:80", fx.Outcomes{v1alpha1.TCPOK: 1}),
		fx.TCP("b", "pod/api-0", "10.244.1.9:9000", fx.Outcomes{v1alpha1.TCPOK: 1}),
		fx.ICMPEcho("c", "svc/web", "10.96.0.20", 1, 1))
	var out bytes.Buffer
	if err := Print(&out, "table", r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	var targets []string
	for _, l := range lines[3:6] {
		targets = append(targets, strings.Fields(l)[0]+" "+strings.Fields(l)[1])
	}
	if got := strings.Join(targets, ","); got != "svc/web tcp,svc/web icmp,pod/api-0 tcp" {
		t.Errorf("row order %q\n%s", got, out.String())
	}
	if strings.Contains(out.String(), "VANTAGE") {
		t.Error("one vantage only: the VANTAGE column should be hidden")
	}
	if !strings.Contains(out.String(), "VERDICT  not decided") {
		t.Error("a report without a verdict must say so")
	}
}

func TestTableNoResults(t *testing.T) {
	r := diagnosed(fx.NewReport(nil))
	var out bytes.Buffer
	if err := Print(&out, "table", r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No check results.", "check-missing", "VERDICT  INCONCLUSIVE", "(exit 2)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("aaa bbb ccc ddddddddddddddd e", 12, "> ", "  ")
	want := []string{"> aaa bbb", "  ccc", "  ddddddddddddddd", "  e"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrap = %q, want %q", got, want)
	}
	if got := wrap("", 10, "x", "y"); len(got) != 1 || got[0] != "x" {
		t.Errorf("wrap of empty = %q", got)
	}
	if got := ellipsize("abcdef", 4); got != "abc…" {
		t.Errorf("ellipsize = %q", got)
	}
	for ms, want := range map[float64]string{0: "-", 1.5: "1.5ms", 12: "12ms", 3000: "3.0s", 125000: "2m05s"} {
		if got := duration(ms); got != want {
			t.Errorf("duration(%v) = %q, want %q", ms, got, want)
		}
	}
}

func TestPrintRejectsUnknownFormats(t *testing.T) {
	r := fx.Healthy()
	for format, want := range map[string]string{
		"xml":    `unknown output format "xml" (want one of table, json, yaml, junit, ndjson)`,
		"ndjson": "streams probe events",
	} {
		err := Print(&bytes.Buffer{}, format, r)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Print(%q) error = %v, want %q", format, err, want)
		}
	}
	if err := Print(&bytes.Buffer{}, "json", nil); err == nil {
		t.Error("Print(nil report) succeeded")
	}
}

// partialNodeView is a node-mode run whose node pod on node 2 did not start.
func partialNodeView() *v1alpha1.Report {
	r := fx.NodeReport([]v1alpha1.Target{fx.PodTarget("web-1", "10.244.1.5", 8080, fx.Node2)},
		append(fx.NodeInfoPair(fx.Node1, nil),
			fx.TCP("tcp-1", "pod/web-1:8080", "10.244.1.5:8080", fx.Outcomes{v1alpha1.TCPOK: 10}))...)
	r.Mode = "node"
	r.Nodes[0].View = &v1alpha1.NodeViewState{Status: v1alpha1.NodeWatched}
	r.Nodes[1].View = &v1alpha1.NodeViewState{Status: v1alpha1.NodeUnwatched, Cause: v1alpha1.CauseImage,
		Image: "localhost/netcheck/netcheck-probe:extra", Pod: "default/netcheck-k8slab-node2-abcde",
		Reason: "image localhost/netcheck/netcheck-probe:extra is not present on node k8slab-node2 (ErrImageNeverPull); " +
			"load it onto the node or use --image (or --registry for a mirror)"}
	return r
}
