package diagnose

import (
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleCheckFailedUnexplained runs last: a result the probe marked failed that no
// finding cites would otherwise vanish from the verdict. It is reported as is,
// and the verdict treats it as inconclusive rather than ok.
func ruleCheckFailedUnexplained(d *diagnosis) {
	cited := map[string]bool{}
	for _, f := range d.findings {
		for _, id := range f.CheckIDs {
			cited[id] = true
		}
	}
	for i := range d.ix.r.Results {
		res := &d.ix.r.Results[i]
		if res.Status != v1alpha1.StatusFail || cited[res.ID] {
			continue
		}
		f := newFinding(IDCheckFailedUnexplained)
		f.Target = res.Target
		f.Summary = fmt.Sprintf("%s: %s check failed: %s", res.Target, res.Check, firstNonEmpty(res.Summary, res.Error, "no summary"))
		f.Hop = res.Vantage
		f.CheckIDs = []string{res.ID}
		f.Evidence = []string{fmt.Sprintf("%s %s from %s: %s", res.ID, res.Check, firstNonEmpty(res.Vantage, "?"),
			firstNonEmpty(res.Summary, res.Error))}
		d.add(f)
	}
}
