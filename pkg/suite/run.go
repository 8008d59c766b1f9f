package suite

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Runner runs one check (`kubectl netcheck SOURCE --to TARGET...` for it) and
// returns its diagnosed report; an error means the run could not happen.
type Runner func(ctx context.Context, c Check) (*v1alpha1.Report, error)

// Run runs the checks one after the other (they share the source pods'
// agents and the CPU of small clusters), judges each, and combines the
// outcomes. A check that cannot run is recorded and the suite goes on; only
// ctx ending stops it, and then Run returns ctx's error. infof may be nil.
func Run(ctx context.Context, s *Suite, run Runner, infof func(format string, args ...any)) (*v1alpha1.SuiteReport, error) {
	if infof == nil {
		infof = func(string, ...any) {}
	}
	rep := &v1alpha1.SuiteReport{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindSuiteReport, Name: s.Name}
	for i, c := range s.Checks {
		infof("check %d/%d %s: %s -> %s, expect %s", i+1, len(s.Checks), c.Name, c.SuiteCheck.Source,
			strings.Join(c.SuiteCheck.Targets, ", "), c.Expect)
		r, err := run(ctx, c)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("suite interrupted at check %d (%s): %w", i+1, c.Name, ctx.Err())
		}
		cr := Judge(c, r, err)
		infof("check %d/%d %s: %s: %s", i+1, len(s.Checks), c.Name, strings.ToUpper(string(cr.Outcome)), cr.Summary)
		rep.Checks = append(rep.Checks, cr)
	}
	rep.Result = Combine(rep.Checks)
	return rep, nil
}

// Judge is one check's entry in the suite report: its run's report (or the
// error that kept it from running) judged against its expectation.
func Judge(c Check, r *v1alpha1.Report, runErr error) v1alpha1.SuiteCheckReport {
	cr := v1alpha1.SuiteCheckReport{
		Name: c.Name, Source: c.SuiteCheck.Source, Namespace: c.Namespace, Expect: c.Expect, Report: r,
	}
	if runErr != nil || r == nil {
		msg := "no report"
		if runErr != nil {
			msg = runErr.Error()
		}
		cr.Outcome, cr.Error, cr.Summary = v1alpha1.OutcomeCouldNotRun, msg, "could not run: "+msg
		cr.Report = nil
		for _, t := range c.Targets {
			cr.Targets = append(cr.Targets, v1alpha1.TargetOutcome{Target: t.Raw, Outcome: v1alpha1.OutcomeCouldNotRun, Message: cr.Summary})
		}
		return cr
	}
	cr.Targets = Evaluate(c, r)
	cr.Outcome = v1alpha1.OutcomeMet
	for _, t := range cr.Targets {
		if rank(t.Outcome) > rank(cr.Outcome) {
			cr.Outcome = t.Outcome
		}
	}
	cr.Summary = checkSummary(cr)
	return cr
}

// checkSummary names the first target with the check's outcome and why.
func checkSummary(cr v1alpha1.SuiteCheckReport) string {
	if cr.Outcome == v1alpha1.OutcomeMet {
		return fmt.Sprintf("every target %s (%s)", cr.Expect, plural(len(cr.Targets), "target", "targets"))
	}
	for _, t := range cr.Targets {
		if t.Outcome == cr.Outcome {
			return t.Target + ": " + t.Message
		}
	}
	return string(cr.Outcome)
}

// rank orders outcomes for combining: a violated expectation is the news a
// pipeline must see first, then a check that could not run at all, then one
// that ran but could not decide.
func rank(o v1alpha1.Outcome) int {
	switch o {
	case v1alpha1.OutcomeFailed:
		return 3
	case v1alpha1.OutcomeCouldNotRun:
		return 2
	case v1alpha1.OutcomeInconclusive:
		return 1
	}
	return 0
}

// ExitCode maps an outcome onto the process exit code (0 met, 1 failed, 2
// inconclusive, 3 could not run).
func ExitCode(o v1alpha1.Outcome) int {
	switch o {
	case v1alpha1.OutcomeFailed:
		return v1alpha1.ExitFault
	case v1alpha1.OutcomeCouldNotRun:
		return v1alpha1.ExitCouldNotRun
	case v1alpha1.OutcomeInconclusive:
		return v1alpha1.ExitInconclusive
	}
	return v1alpha1.ExitOK
}

// Combine is the suite's result: the worst check outcome (by rank) and a line
// naming the first check that has it.
func Combine(checks []v1alpha1.SuiteCheckReport) v1alpha1.SuiteResult {
	res := v1alpha1.SuiteResult{Outcome: v1alpha1.OutcomeMet}
	met := 0
	var worst *v1alpha1.SuiteCheckReport
	for i := range checks {
		c := &checks[i]
		if c.Outcome == v1alpha1.OutcomeMet {
			met++
		}
		if worst == nil || rank(c.Outcome) > rank(worst.Outcome) {
			worst = c
		}
	}
	if len(checks) == 0 {
		res.Outcome = v1alpha1.OutcomeInconclusive
		res.Summary = "no checks ran"
		res.ExitCode = ExitCode(res.Outcome)
		return res
	}
	res.Outcome = worst.Outcome
	res.ExitCode = ExitCode(res.Outcome)
	res.Summary = fmt.Sprintf("%d of %s met their expectation", met, plural(len(checks), "check", "checks"))
	if res.Outcome != v1alpha1.OutcomeMet {
		res.Summary += fmt.Sprintf("; first %s: %s: %s", worst.Outcome, worst.Name, worst.Summary)
	}
	return res
}
