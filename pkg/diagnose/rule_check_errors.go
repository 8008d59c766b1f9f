package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// maxListed bounds evidence lines that enumerate results, so one systematic
// error (say, no NET_RAW) does not print a hundred lines.
const maxListed = 8

// ruleCheckErrors reports checks that could not run, grouped by check and error
// text: one missing capability breaks every ICMP check the same way, and one
// finding saying so beats twenty.
func ruleCheckErrors(d *diagnosis) {
	type group struct {
		check, err string
		results    []*v1alpha1.CheckResult
	}
	var groups []*group
	byKey := map[string]*group{}
	for i := range d.ix.r.Results {
		res := &d.ix.r.Results[i]
		if res.Status != v1alpha1.StatusError || d.absorbed[res.ID] {
			continue
		}
		msg := firstNonEmpty(res.Error, res.Summary, "no error message")
		key := res.Check + "\x00" + msg
		g := byKey[key]
		if g == nil {
			g = &group{check: res.Check, err: msg}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.results = append(g.results, res)
	}
	for _, g := range groups {
		f := newFinding(IDCheckError)
		first := g.results[0]
		if len(g.results) == 1 {
			f.Target = first.Target
			f.Summary = fmt.Sprintf("%s: %s check could not run: %s", first.Target, g.check, g.err)
		} else {
			f.Summary = fmt.Sprintf("%d %s checks could not run: %s", len(g.results), g.check, g.err)
		}
		f.Hop = first.Vantage
		for i, res := range g.results {
			f.CheckIDs = append(f.CheckIDs, res.ID)
			if i < maxListed {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s %s (%s): %s", res.ID, res.Target,
					firstNonEmpty(res.Vantage, "?"), firstNonEmpty(res.Error, res.Summary)))
			}
		}
		if n := len(g.results) - maxListed; n > 0 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("... and %d more", n))
		}
		if strings.Contains(strings.ToLower(g.err), "permission") || strings.Contains(g.err, "EPERM") ||
			strings.Contains(g.err, "operation not permitted") {
			f.Fix = "The probe lacks a capability: rerun with --profile=netadmin (NET_RAW, NET_ADMIN)."
		}
		d.add(f)
	}
}
