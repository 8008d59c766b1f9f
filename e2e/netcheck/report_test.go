//go:build e2e

package netcheck

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// netcheckJSON runs the real binary with -o json, checks the exit code, and
// decodes the report it printed.
func netcheckJSON(t *testing.T, c *framework.Cluster, ctx context.Context, wantExit int, args ...string) *v1alpha1.Report {
	t.Helper()
	res := c.Netcheck(t, ctx, append(args, "-o", "json")...)
	if res.ExitCode != wantExit {
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", res.ExitCode, wantExit, res.Stderr)
	}
	var rep v1alpha1.Report
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("decode -o json report: %v\n%s", err, res.Stdout)
	}
	if rep.APIVersion != v1alpha1.APIVersion || rep.Kind != v1alpha1.KindReport {
		t.Errorf("report is %s %s, want %s %s", rep.APIVersion, rep.Kind, v1alpha1.APIVersion, v1alpha1.KindReport)
	}
	if rep.Verdict.ExitCode != wantExit {
		t.Errorf("verdict exit code %d, process exit code %d", rep.Verdict.ExitCode, wantExit)
	}
	return &rep
}

// requireFinding returns the finding with id; it fails listing what was found instead.
func requireFinding(t *testing.T, rep *v1alpha1.Report, id string) v1alpha1.Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s; findings:\n%s", id, findingsText(rep))
	return v1alpha1.Finding{}
}

func findingsText(rep *v1alpha1.Report) string {
	if len(rep.Findings) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString("  [" + string(f.Severity) + " " + f.ID + "] " + f.Summary + "\n    hop: " + f.Hop + "\n")
		for _, e := range f.Evidence {
			b.WriteString("    - " + e + "\n")
		}
	}
	return b.String()
}

// mentions fails unless every word appears in the finding's hop or summary:
// where the fault sits must be readable from those two lines alone.
func mentions(t *testing.T, f v1alpha1.Finding, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(f.Hop, w) && !strings.Contains(f.Summary, w) {
			t.Errorf("%s names no %q:\n  summary: %s\n  hop:     %s", f.ID, w, f.Summary, f.Hop)
		}
	}
}

// noFaults fails on any finding of severity fault.
func noFaults(t *testing.T, rep *v1alpha1.Report) {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Severity == v1alpha1.SeverityFault {
			t.Errorf("fault finding on a healthy path:\n%s", findingsText(rep))
			return
		}
	}
}

// tcpResult is the TCP result to addr (ip:port).
func tcpResult(t *testing.T, rep *v1alpha1.Report, addr string) *v1alpha1.CheckResult {
	t.Helper()
	for i := range rep.Results {
		if r := &rep.Results[i]; r.TCP != nil && r.TCP.Address == addr {
			return r
		}
	}
	t.Fatalf("no tcp result to %s", addr)
	return nil
}

// icmpResult is the ICMP result to ip.
func icmpResult(t *testing.T, rep *v1alpha1.Report, ip string) *v1alpha1.CheckResult {
	t.Helper()
	for i := range rep.Results {
		if r := &rep.Results[i]; r.ICMP != nil && r.ICMP.Address == ip {
			return r
		}
	}
	t.Fatalf("no icmp result to %s", ip)
	return nil
}

// resultsOf are the results of one check kind.
func resultsOf(rep *v1alpha1.Report, check string) []*v1alpha1.CheckResult {
	var out []*v1alpha1.CheckResult
	for i := range rep.Results {
		if rep.Results[i].Check == check {
			out = append(out, &rep.Results[i])
		}
	}
	return out
}

// klogLine matches client-go's log lines ("E1123 10:00:00.000000 ..."), which
// must never reach the user next to our own error line.
var klogLine = regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d`)

// errorLine returns the one "error: ..." line of a run that could not happen.
// Progress lines printed before the failure (resolution, "adding agent") may
// precede it; a second error line, a usage dump or a klog line may not.
func errorLine(t *testing.T, stderr string) string {
	t.Helper()
	var errs []string
	for _, l := range nonEmptyLines(stderr) {
		switch {
		case strings.HasPrefix(l, "error: "):
			errs = append(errs, l)
		case klogLine.MatchString(l), strings.HasPrefix(l, "Usage:"):
			t.Errorf("stray line on stderr: %q", l)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("want exactly one error line on stderr, got %d:\n%s", len(errs), stderr)
	}
	if lines := nonEmptyLines(stderr); lines[len(lines)-1] != errs[0] {
		t.Errorf("the error line is not the last line on stderr:\n%s", stderr)
	}
	return errs[0]
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// containsAll fails unless s contains every word.
func containsAll(t *testing.T, what, s string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q: %s", what, w, s)
		}
	}
}
