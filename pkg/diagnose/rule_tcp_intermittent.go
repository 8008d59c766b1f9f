package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleTCPIntermittent reports targets where some connects succeed and some do
// not. k of N failing is a failure, not a pass; the finding gives the rate for
// the Service IP and for every probed endpoint so the flaky backend stands out.
// Refusals and timeouts get different IDs because their causes differ.
func ruleTCPIntermittent(d *diagnosis) {
	for _, tv := range d.ix.targets {
		var flaky []*addrStats
		for _, s := range tv.front {
			if !d.isClaimed(s.addr) && s.intermittent() {
				flaky = append(flaky, s)
			}
		}
		for _, e := range tv.probedEndpoints() {
			if !d.isClaimed(e.stats.addr) && e.stats.intermittent() {
				flaky = append(flaky, e.stats)
			}
		}
		if len(flaky) > 0 {
			d.reportIntermittent(tv, flaky)
		}
	}
	for _, s := range d.ix.addrs {
		if s.target == nil && !d.isClaimed(s.addr) && s.intermittent() {
			d.reportIntermittent(nil, []*addrStats{s})
		}
	}
}

func (d *diagnosis) reportIntermittent(tv *targetView, flaky []*addrStats) {
	refused, lost := 0, 0
	var flakyEndpoints []*addrStats
	head := flaky[0]
	for _, s := range flaky {
		refused += s.rejectedLike()
		// Unreachable answers and timeouts, less the timeouts that are rate-limited refusals.
		lost += s.counts[v1alpha1.TCPUnreachable] + s.counts[v1alpha1.TCPTimeout] - (s.rejectedLike() - s.refusedLike())
		if s.endpoint != nil {
			if len(flakyEndpoints) == 0 || failShare(s) > failShare(head) {
				head = s
			}
			flakyEndpoints = append(flakyEndpoints, s)
		}
	}
	f := newFinding(IDTCPIntermittentRefused)
	if lost > refused {
		f = newFinding(IDTCPIntermittentTimeout)
	}
	f.Target = head.targetLabel()
	f.Summary = fmt.Sprintf("%s: intermittent, %s at %s", f.Target, failureRate(head), shortAddrHop(head))

	switch {
	case len(flakyEndpoints) == 1:
		f.Hop = addrHop(flakyEndpoints[0])
	case len(flakyEndpoints) > 1:
		names := make([]string, len(flakyEndpoints))
		for i, s := range flakyEndpoints {
			names[i] = shortAddrHop(s)
		}
		f.Hop = strings.Join(names, "; ")
	case tv != nil && tv.isService() && len(tv.probedEndpoints()) == 0:
		f.Hop = addrHop(head) + " (endpoints not probed)"
	case tv != nil && tv.isService():
		f.Hop = fmt.Sprintf("%s (every probed endpoint connects directly: the Service path on node %s)",
			addrHop(head), firstNonEmpty(d.ix.r.Source.Node, "of the source"))
	default:
		f.Hop = addrHop(head)
	}

	rateLimited := false
	for _, s := range flaky {
		f.Evidence = append(f.Evidence, rateLine(s))
		f.CheckIDs = appendUnique(f.CheckIDs, s.checkIDs()...)
		rateLimited = rateLimited || s.rejectsLookLikeTimeouts()
	}
	if rateLimited && f.ID == IDTCPIntermittentRefused {
		f.Evidence = append(f.Evidence, rateLimitNote(v1alpha1.TCPRefused))
	}
	if f.ID == IDTCPIntermittentRefused {
		if note := rejectNote(d.ix, head); note != "" {
			// A listener is there, so the application is not what refuses.
			f.Evidence = append(f.Evidence, note)
			f.Fix = fmt.Sprintf("Pod %s listens on port %d, so unless it restarted during the run (kubectl get pod "+
				"shows restarts) the refusals come from a REJECT rule in the pod's network namespace or on node %s "+
				"(a NetworkPolicy, or an iptables rule with -m statistic or -m limit): check kubectl get "+
				"networkpolicy -n %s, and iptables-save | grep REJECT in the pod and on the node.",
				head.podRef(), head.port(), firstNonEmpty(head.node(), "of the pod"), namespaceOf(head.podRef()))
		}
	}
	if tv != nil {
		for _, e := range tv.probedEndpoints() {
			if e.stats.failed() == 0 {
				f.Evidence = append(f.Evidence, rateLine(e.stats))
				f.CheckIDs = appendUnique(f.CheckIDs, e.stats.checkIDs()...)
			}
		}
	}
	i := d.add(f)
	for _, s := range flaky {
		d.claim(s.addr, i)
	}
}

// rateLine is one evidence line with where and how often: "endpoint 10.244.1.5:8080 (pod default/web-1): 5 of 10 refused (50%)".
func rateLine(s *addrStats) string {
	if s.failed() == 0 {
		return fmt.Sprintf("%s: %d/%d connected", shortAddrHop(s), s.ok(), s.total)
	}
	return shortAddrHop(s) + ": " + failureRate(s)
}

func failShare(s *addrStats) float64 {
	if s.total == 0 {
		return 0
	}
	return float64(s.failed()) / float64(s.total)
}
