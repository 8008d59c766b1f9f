package diagnose

import "fmt"

// ruleTraceAttach gives each trace no rule has used to the finding that
// explains its address (say, an endpoint refusing, where the trace shows the
// RST came from the pod itself), so the capture backs up that finding instead
// of being reported as an unexplained failure.
func ruleTraceAttach(d *diagnosis) {
	for _, tv := range d.nodes.traceViews() {
		if d.traceClaimed(tv) {
			continue
		}
		i, ok := d.claimed[tv.dst()]
		if !ok {
			continue
		}
		var lines []string
		if hop, k, of := tv.death(); k > 0 {
			lines = append(lines, tv.sightingsLine(hop, k, of))
		}
		if ps := tv.refused(); len(ps) > 0 && ps[0].Reply != nil {
			r := ps[0].Reply
			lines = append(lines, fmt.Sprintf("trace: %d of %d probes answered %s from %s, first seen at %s with TTL %d: %s",
				len(ps), len(tv.tr.Probes), r.What, r.Src, r.FirstHop, r.TTL, r.Origin))
		}
		d.amend(i, lines, nil)
		d.claimTrace(i, tv)
	}
}
