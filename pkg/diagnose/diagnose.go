// Package diagnose turns evidence into findings. It is pure: a Report's resolution
// facts and check results in, findings and a verdict out; no I/O, no cluster.
package diagnose

import "github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"

// Diagnose returns the findings the report's targets and results support, most severe first.
func Diagnose(r *v1alpha1.Report) []v1alpha1.Finding {
	return nil // TODO(diagnose): rules
}

// Decide returns the verdict for a report whose Findings are set.
func Decide(r *v1alpha1.Report) v1alpha1.Verdict {
	return v1alpha1.Verdict{Status: v1alpha1.VerdictInconclusive, ExitCode: v1alpha1.ExitInconclusive}
}
