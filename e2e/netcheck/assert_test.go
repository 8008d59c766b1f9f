//go:build e2e

package netcheck

import (
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// onlyFault fails when a fault finding other than id is reported: one injected
// fault must read as one root cause. With id of a lesser severity (info,
// warning), no fault may be reported at all.
func onlyFault(t *testing.T, rep *v1alpha1.Report, id string) {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Severity == v1alpha1.SeverityFault && f.ID != id {
			t.Errorf("another fault next to %s:\n%s", id, findingsText(rep))
			return
		}
	}
}

// hasEvidence fails unless every word appears in some evidence line of f.
func hasEvidence(t *testing.T, f v1alpha1.Finding, words ...string) {
	t.Helper()
	for _, w := range words {
		found := false
		for _, e := range f.Evidence {
			found = found || strings.Contains(e, w)
		}
		if !found {
			t.Errorf("%s: no evidence line mentions %q:\n  %s", f.ID, w, strings.Join(f.Evidence, "\n  "))
		}
	}
}
