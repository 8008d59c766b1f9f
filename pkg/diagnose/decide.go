package diagnose

import (
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// inconclusiveIDs are findings that mean "something was not tested", not "broken".
var inconclusiveIDs = map[string]bool{IDCheckError: true, IDCheckMissing: true, IDCheckFailedUnexplained: true,
	IDNodeViewUnavailable: true}

// Decide returns the verdict for a report whose Findings are set: any fault is a
// fault (exit 1); otherwise an errored check, missing results or an unexplained
// failure make it inconclusive (exit 2); otherwise ok (exit 0). The summary is one
// line naming the top root cause and where it sits.
func Decide(r *v1alpha1.Report) v1alpha1.Verdict {
	if r == nil {
		return v1alpha1.Verdict{Status: v1alpha1.VerdictInconclusive, ExitCode: v1alpha1.ExitInconclusive,
			Summary: "no report"}
	}
	var faults, warnings, inconclusive []v1alpha1.Finding
	for _, f := range r.Findings {
		switch {
		case f.Severity == v1alpha1.SeverityFault:
			faults = append(faults, f)
		case inconclusiveIDs[f.ID]:
			inconclusive = append(inconclusive, f)
		case f.Severity == v1alpha1.SeverityWarning:
			warnings = append(warnings, f)
		}
	}
	errored := 0
	for _, res := range r.Results {
		if res.Status == v1alpha1.StatusError {
			errored++
		}
	}
	switch {
	case len(faults) > 0:
		return v1alpha1.Verdict{Status: v1alpha1.VerdictFault, ExitCode: v1alpha1.ExitFault,
			Summary: headline("FAULT", faults[0], len(r.Findings)-1)}
	case len(inconclusive) > 0:
		return v1alpha1.Verdict{Status: v1alpha1.VerdictInconclusive, ExitCode: v1alpha1.ExitInconclusive,
			Summary: headline("INCONCLUSIVE", inconclusive[0], len(r.Findings)-1)}
	case errored > 0 || len(r.Results) == 0:
		return v1alpha1.Verdict{Status: v1alpha1.VerdictInconclusive, ExitCode: v1alpha1.ExitInconclusive,
			Summary: fmt.Sprintf("INCONCLUSIVE: %d of %d checks could not run", errored, len(r.Results))}
	}
	summary := fmt.Sprintf("OK: %s passed", plural(len(r.Results), "check", "checks"))
	if len(warnings) > 0 {
		summary += fmt.Sprintf(", %s (first: %s [%s])", plural(len(warnings), "warning", "warnings"), warnings[0].Summary, warnings[0].ID)
	}
	return v1alpha1.Verdict{Status: v1alpha1.VerdictOK, ExitCode: v1alpha1.ExitOK, Summary: summary}
}

// headline renders "FAULT [endpoint-refused] svc/web: ... at endpoint ... (+2 more findings)".
func headline(status string, f v1alpha1.Finding, more int) string {
	s := fmt.Sprintf("%s [%s] %s", status, f.ID, f.Summary)
	if f.Hop != "" {
		s += " -- at " + f.Hop
	}
	if more > 0 {
		s += fmt.Sprintf(" (+%s)", plural(more, "more finding", "more findings"))
	}
	return s
}
