package suite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func TestCombine(t *testing.T) {
	c := func(name string, o v1alpha1.Outcome) v1alpha1.SuiteCheckReport {
		return v1alpha1.SuiteCheckReport{Name: name, Outcome: o, Summary: "why " + name}
	}
	for _, tc := range []struct {
		name   string
		checks []v1alpha1.SuiteCheckReport
		want   v1alpha1.SuiteResult
	}{
		{"all met", []v1alpha1.SuiteCheckReport{c("a", "met"), c("b", "met")},
			v1alpha1.SuiteResult{Outcome: "met", ExitCode: 0, Summary: "2 of 2 checks met their expectation"}},
		{"inconclusive", []v1alpha1.SuiteCheckReport{c("a", "met"), c("b", "inconclusive")},
			v1alpha1.SuiteResult{Outcome: "inconclusive", ExitCode: 2, Summary: "1 of 2 checks met their expectation; first inconclusive: b: why b"}},
		{"could not run beats inconclusive", []v1alpha1.SuiteCheckReport{c("a", "inconclusive"), c("b", "could-not-run")},
			v1alpha1.SuiteResult{Outcome: "could-not-run", ExitCode: 3, Summary: "0 of 2 checks met their expectation; first could-not-run: b: why b"}},
		{"failed beats everything", []v1alpha1.SuiteCheckReport{c("a", "could-not-run"), c("b", "failed"), c("c", "failed")},
			v1alpha1.SuiteResult{Outcome: "failed", ExitCode: 1, Summary: "0 of 3 checks met their expectation; first failed: b: why b"}},
		{"nothing", nil, v1alpha1.SuiteResult{Outcome: "inconclusive", ExitCode: 2, Summary: "no checks ran"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Combine(tc.checks)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRun(t *testing.T) {
	s, err := Parse(strings.NewReader(`apiVersion: netcheck.kubectl.io/v1alpha1
kind: CheckSuite
metadata: {name: shop}
checks:
  - {name: open, source: client, targets: [svc/web]}
  - {name: closed, source: client, namespace: other, targets: [svc/web], expect: blocked, count: 4}
  - {name: missing, source: nobody, targets: [svc/web]}
`), "checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]*v1alpha1.Report{
		"open": {Targets: []v1alpha1.Target{webTarget()}, Results: webResults(repeat(ok, 4), repeat(ok, 4), repeat(ok, 4))},
		// blocked, but web-2 still answers
		"closed": {Targets: []v1alpha1.Target{webTarget()}, Results: webResults(repeat(refused, 4), repeat(refused, 4), repeat(ok, 4))},
	}
	var ran []string
	run := func(_ context.Context, c Check) (*v1alpha1.Report, error) {
		ran = append(ran, fmt.Sprintf("%s ns=%q count=%d", c.Name, c.Namespace, c.Count))
		if r, ok := reports[c.Name]; ok {
			return r, nil
		}
		return nil, errors.New(`get source pod default/nobody: pods "nobody" not found`)
	}
	var progress []string
	rep, err := Run(context.Background(), s, run, func(f string, a ...any) { progress = append(progress, fmt.Sprintf(f, a...)) })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`open ns="" count=0`, `closed ns="other" count=4`, `missing ns="" count=0`}, ran); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if rep.APIVersion != v1alpha1.APIVersion || rep.Kind != v1alpha1.KindSuiteReport || rep.Name != "shop" {
		t.Errorf("header %s %s %s", rep.APIVersion, rep.Kind, rep.Name)
	}
	var outcomes []string
	for _, c := range rep.Checks {
		outcomes = append(outcomes, c.Name+" "+string(c.Outcome)+": "+c.Summary)
	}
	want := []string{
		"open met: every target reachable (1 target)",
		"closed failed: svc/web: expected blocked, but 10.244.1.12:8080 connected 4 of 4",
		`missing could-not-run: could not run: get source pod default/nobody: pods "nobody" not found`,
	}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if rep.Checks[2].Report != nil || rep.Checks[2].Targets[0].Outcome != v1alpha1.OutcomeCouldNotRun {
		t.Errorf("a check that could not run: %+v", rep.Checks[2])
	}
	if rep.Result.ExitCode != v1alpha1.ExitFault || rep.Result.Outcome != v1alpha1.OutcomeFailed {
		t.Errorf("result %+v, want failed with exit 1", rep.Result)
	}
	if len(progress) != 6 || !strings.HasPrefix(progress[0], "check 1/3 open: client -> svc/web, expect reachable") ||
		!strings.HasPrefix(progress[3], "check 2/3 closed: FAILED: ") {
		t.Errorf("progress:\n%s", strings.Join(progress, "\n"))
	}
}

func TestRunStopsWhenInterrupted(t *testing.T) {
	s, err := Parse(strings.NewReader("apiVersion: netcheck.kubectl.io/v1alpha1\nkind: CheckSuite\nchecks:\n"+
		"  - {name: a, source: client, targets: [svc/web]}\n  - {name: b, source: client, targets: [svc/web]}\n"), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	_, err = Run(ctx, s, func(context.Context, Check) (*v1alpha1.Report, error) {
		runs++
		cancel()
		return nil, context.Canceled
	}, nil)
	if runs != 1 || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "suite interrupted at check 1 (a)") {
		t.Errorf("runs %d, err %v", runs, err)
	}
}
