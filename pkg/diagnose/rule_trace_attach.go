package diagnose

import "fmt"

// ruleTraceAttach gives each trace no rule has used to the finding that
// explains its address (an ICMP trace: its IP, see findingFor) (say, an endpoint refusing, where the trace shows the
// RST came from the pod itself), so the capture backs up that finding instead
// of being reported as an unexplained failure.
func ruleTraceAttach(d *diagnosis) {
	for _, tv := range d.nodes.traceViews() {
		if d.traceClaimed(tv) {
			continue
		}
		i, ok := d.findingFor(tv)
		if !ok {
			continue
		}
		var lines []string
		if hop, k, of := tv.death(); k > 0 {
			lines = append(lines, tv.sightingsLine(hop, k, of))
		} else if tv.icmp() && len(tv.tr.Probes) > 0 && len(tv.silent()) == 0 && len(tv.refused()) == 0 {
			lines = append(lines, fmt.Sprintf("trace: %d of %d echoes to %s answered: the path to the pod works for ICMP",
				len(tv.tr.Probes), len(tv.tr.Probes), tv.ip()))
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
