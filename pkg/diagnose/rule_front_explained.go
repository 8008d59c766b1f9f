package diagnose

import "fmt"

// ruleFrontExplainedByEndpoints ties a failing Service IP to the dead backends
// that cause it. kube-proxy spreads connections over the ready
// endpoints, so with k of n of them dead about k/n of the connections through
// the Service fail: that is one fault, not a second unrelated one. The Service
// IP evidence is appended to the backend's finding and the address claimed.
func ruleFrontExplainedByEndpoints(d *diagnosis) {
	for _, tv := range d.ix.targets {
		if !tv.isService() {
			continue
		}
		first, deadReady, alive := -1, 0, 0
		for _, e := range tv.probedEndpoints() {
			i, claimed := d.claimed[e.stats.addr]
			if !e.stats.allFailed() {
				alive++
			}
			if !claimed || !e.stats.allFailed() {
				continue
			}
			if first < 0 {
				first = i
			}
			if e.ep.Ready {
				deadReady++
			}
		}
		ready := readyEndpoints(tv.t)
		if first < 0 || deadReady == 0 || ready == 0 {
			continue
		}
		for _, s := range tv.front {
			// A Service IP failing outright is only explained when no probed backend is alive;
			// otherwise kube-proxy would reach the live ones and the Service path is at fault.
			if d.isClaimed(s.addr) || !(s.intermittent() || (s.allFailed() && alive == 0)) {
				continue
			}
			d.amend(first, []string{fmt.Sprintf(
				"this explains the Service IP %s: %s; dead: %d of %d ready endpoints, so about %s of "+
					"connections through the Service land on a dead one", s.addr, failureRate(s), deadReady, ready,
				pct(deadReady, ready))}, s.checkIDs())
			d.claim(s.addr, first)
		}
	}
}
