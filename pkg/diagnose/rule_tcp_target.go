package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleTCPTarget reports addresses that never connected and that no more specific
// rule explained: refused (something answered no), timed out (something dropped
// the SYN silently) or unreachable (no route). A Service IP that fails while
// its endpoints connect directly puts the fault on the Service path itself.
func ruleTCPTarget(d *diagnosis) {
	for _, s := range d.ix.addrs {
		if d.isClaimed(s.addr) || !s.allFailed() {
			continue
		}
		var id, verb string
		switch s.dominantFailure() {
		case v1alpha1.TCPRefused:
			id, verb = IDTCPRefused, "refused"
		case v1alpha1.TCPTimeout:
			id, verb = IDTCPTimeout, "timed out"
		case v1alpha1.TCPUnreachable:
			id, verb = IDHostUnreachable, "unreachable"
		default:
			continue // probe-side errors: left to ruleCheckFailedUnexplained
		}
		f := newFinding(id)
		f.Target = s.targetLabel()
		f.Summary = fmt.Sprintf("%s: every connect to %s %s (%d of %d)", f.Target, s.addr, verb, s.failed(), s.total)
		f.Hop = addrHop(s)
		f.CheckIDs = s.checkIDs()
		f.Evidence = []string{connectLine(s)}
		if note := rejectNote(d.ix, s); note != "" {
			f.Evidence = append(f.Evidence, note)
		}
		if id != IDTCPTimeout && s.rejectsLookLikeTimeouts() {
			f.Evidence = append(f.Evidence, rateLimitNote(s.rejectionKind()))
		}
		if healthy := directlyHealthyEndpoints(s); len(healthy) > 0 {
			f.Hop = fmt.Sprintf("%s: the Service path (kube-proxy rules on node %s), not the backends",
				addrHop(s), firstNonEmpty(d.ix.r.Source.Node, "of the source"))
			f.Evidence = append(f.Evidence, "yet every probed endpoint connects directly: "+strings.Join(healthy, ", "))
		} else if id != IDTCPRefused && s.podRef() != "" {
			f.Hop = fmt.Sprintf("between %s and %s", d.ix.sourceDesc(), addrHop(s))
		}
		i := d.add(f)
		d.claim(s.addr, i)
		if id == IDHostUnreachable {
			d.claim("host:"+s.ip(), i)
		}
	}
}

// directlyHealthyEndpoints lists the endpoints of s's Service when s is the
// Service IP and every probed endpoint connected.
func directlyHealthyEndpoints(s *addrStats) []string {
	if s.endpoint != nil || s.target == nil || !s.target.isService() {
		return nil
	}
	probed := s.target.probedEndpoints()
	var out []string
	for _, e := range probed {
		if e.stats.failed() > 0 {
			return nil
		}
		out = append(out, fmt.Sprintf("%s %d/%d", e.stats.addr, e.stats.ok(), e.stats.total))
	}
	return out
}
