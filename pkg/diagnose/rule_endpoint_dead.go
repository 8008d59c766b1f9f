package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleEndpointDead reports one Service backend that refuses (or swallows) every
// connect while other backends of the same Service connect: the fault sits in
// that pod or on the path to its node, and the finding names both.
func ruleEndpointDead(d *diagnosis) {
	for _, tv := range d.ix.targets {
		if !tv.isService() {
			continue
		}
		var healthy []string
		for _, e := range tv.probedEndpoints() {
			if e.stats.ok() > 0 {
				healthy = append(healthy, fmt.Sprintf("%s %d/%d", e.stats.addr, e.stats.ok(), e.stats.total))
			}
		}
		if len(healthy) == 0 {
			continue // all dead: ruleAllEndpointsDead's case
		}
		for _, e := range tv.probedEndpoints() {
			s := e.stats
			if d.isClaimed(s.addr) || !s.allFailed() {
				continue
			}
			id, verb := IDEndpointRefused, "refused"
			switch s.dominantFailure() {
			case v1alpha1.TCPRefused:
			case v1alpha1.TCPTimeout:
				id, verb = IDEndpointTimeout, "timed out"
			default:
				continue // unreachable/errors: ruleTCPTarget names those
			}
			f := newFinding(id)
			f.Target = targetLabel(tv.t)
			f.Summary = fmt.Sprintf("%s: every connect to endpoint %s %s (pod %s) while other endpoints connect",
				f.Target, s.addr, verb, firstNonEmpty(s.podRef(), "unknown"))
			f.Hop = addrHop(s)
			f.CheckIDs = s.checkIDs()
			f.Evidence = []string{
				connectLine(s),
				"other endpoints connect: " + strings.Join(healthy, ", "),
			}
			if note := rejectNote(d.ix, s); note != "" {
				f.Evidence = append(f.Evidence, note)
			}
			if id == IDEndpointRefused && s.rejectsLookLikeTimeouts() {
				f.Evidence = append(f.Evidence, rateLimitNote(v1alpha1.TCPRefused))
			}
			if !e.ep.Ready {
				f.Severity = v1alpha1.SeverityWarning
				f.Evidence = append(f.Evidence, "the endpoint is not ready, so the Service does not send it traffic")
			}
			i := d.add(f)
			d.claim(s.addr, i)
		}
	}
}
