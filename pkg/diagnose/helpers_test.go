package diagnose

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// want describes one expected finding; empty fields are not checked.
type want struct {
	id       string
	severity v1alpha1.Severity // "" means the catalogue default
	hop      string            // exact
	summary  []string          // substrings of Summary
	evidence []string          // each a substring of some evidence line
	checkIDs []string          // exact set
	fix      string            // substring of Fix
}

// seenIDs records which catalogue IDs some test produced and asserted; TestMain
// fails a full run in which a catalogue entry is never exercised.
var dumpHook func(*testing.T, string)

var (
	seenMu  sync.Mutex
	seenIDs = map[string]bool{}
)

// diagnoseAndCheck runs Diagnose on r and asserts the findings, in order, and
// the invariants every finding must hold.
func diagnoseAndCheck(t *testing.T, r *v1alpha1.Report, wants ...want) []v1alpha1.Finding {
	t.Helper()
	got := Diagnose(r)
	if dumpHook != nil {
		dumpHook(t, dump(got))
	}
	assertInvariants(t, r, got)
	if len(got) != len(wants) {
		t.Fatalf("got %d findings %v, want %d %v\n%s", len(got), ids(got), len(wants), wantIDs(wants), dump(got))
	}
	for i, w := range wants {
		f := got[i]
		if f.ID != w.id {
			t.Fatalf("finding %d: id %q, want %q\n%s", i, f.ID, w.id, dump(got))
		}
		seenMu.Lock()
		seenIDs[f.ID] = true
		seenMu.Unlock()
		sev := w.severity
		if sev == "" {
			e, _ := Lookup(w.id)
			sev = e.Severity
		}
		if f.Severity != sev {
			t.Errorf("%s: severity %q, want %q", f.ID, f.Severity, sev)
		}
		if w.hop != "" && f.Hop != w.hop {
			t.Errorf("%s: hop\n  got  %q\n  want %q", f.ID, f.Hop, w.hop)
		}
		for _, s := range w.summary {
			if !strings.Contains(f.Summary, s) {
				t.Errorf("%s: summary %q lacks %q", f.ID, f.Summary, s)
			}
		}
		for _, s := range w.evidence {
			if !containsLine(f.Evidence, s) {
				t.Errorf("%s: no evidence line contains %q; evidence:\n  %s", f.ID, s, strings.Join(f.Evidence, "\n  "))
			}
		}
		if w.checkIDs != nil {
			g, ww := append([]string(nil), f.CheckIDs...), append([]string(nil), w.checkIDs...)
			sort.Strings(g)
			sort.Strings(ww)
			if strings.Join(g, ",") != strings.Join(ww, ",") {
				t.Errorf("%s: checkIDs %v, want %v", f.ID, g, ww)
			}
		}
		if w.fix != "" && !strings.Contains(f.Fix, w.fix) {
			t.Errorf("%s: fix %q lacks %q", f.ID, f.Fix, w.fix)
		}
	}
	return got
}

// assertInvariants: catalogued ID, one-line summary, a hop, a fix, sorted by
// severity, and CheckIDs that name real results.
func assertInvariants(t *testing.T, r *v1alpha1.Report, got []v1alpha1.Finding) {
	t.Helper()
	results := map[string]bool{}
	for _, res := range r.Results {
		results[res.ID] = true
	}
	for i, f := range got {
		if _, ok := Lookup(f.ID); !ok {
			t.Errorf("finding %q is not catalogued", f.ID)
		}
		if f.Summary == "" || strings.Contains(f.Summary, "\n") {
			t.Errorf("%s: summary must be one non-empty line: %q", f.ID, f.Summary)
		}
		if f.Hop == "" || f.Fix == "" {
			t.Errorf("%s: hop %q and fix %q must be set", f.ID, f.Hop, f.Fix)
		}
		for _, id := range f.CheckIDs {
			if !results[id] {
				t.Errorf("%s: CheckID %q names no result", f.ID, id)
			}
		}
		if i > 0 && severityRank(got[i-1].Severity) > severityRank(f.Severity) {
			t.Errorf("findings not sorted by severity: %s after %s", f.Severity, got[i-1].Severity)
		}
	}
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func ids(fs []v1alpha1.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func wantIDs(ws []want) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.id
	}
	return out
}

func dump(fs []v1alpha1.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  [%s %s] %s\n    hop: %s\n", f.Severity, f.ID, f.Summary, f.Hop)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "    - %s\n", e)
		}
	}
	return b.String()
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		for _, e := range catalogue {
			if !seenIDs[e.ID] {
				fmt.Fprintf(os.Stderr, "catalogue entry %q is never produced by a rule test\n", e.ID)
				code = 1
			}
		}
	}
	os.Exit(code)
}
