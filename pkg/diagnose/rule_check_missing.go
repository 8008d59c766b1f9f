package diagnose

import (
	"fmt"
	"strings"
)

// ruleCheckMissing reports a run with no results at all, and each resolved
// target that no result (and no finding so far) covers: nothing is known about
// it, which must not pass for "ok".
func ruleCheckMissing(d *diagnosis) {
	r := d.ix.r
	if len(r.Results) == 0 {
		f := newFinding(IDCheckMissing)
		f.Summary = "no check results: no check ran or the agent returned nothing"
		f.Hop = d.ix.sourceVantage()
		f.Evidence = []string{fmt.Sprintf("%d targets resolved, 0 results", len(r.Targets))}
		d.add(f)
		return
	}
	for _, tv := range d.ix.targets {
		label := targetLabel(tv.t)
		if d.covered(tv, label) {
			continue
		}
		f := newFinding(IDCheckMissing)
		f.Target = label
		f.Summary = fmt.Sprintf("%s: no check result for this target", label)
		f.Hop = d.ix.sourceVantage()
		f.Evidence = []string{fmt.Sprintf("%d results in the report, none for %s (IPs %s)", len(r.Results), label,
			firstNonEmpty(strings.Join(tv.t.IPs, ", "), "none"))}
		d.add(f)
	}
}

// covered: some result or finding concerns the target.
func (d *diagnosis) covered(tv *targetView, label string) bool {
	for _, f := range d.findings {
		if f.Target == label {
			return true
		}
	}
	ips := map[string]bool{}
	for _, ip := range tv.t.IPs {
		ips[canonicalIP(ip)] = true
	}
	for _, ep := range tv.t.Endpoint {
		ips[canonicalIP(ep.IP)] = true
	}
	for _, res := range d.ix.r.Results {
		switch {
		case res.Target == label || strings.HasPrefix(res.Target, label+" "):
			return true
		case res.TCP != nil && ips[canonicalIP(stripPort(res.TCP.Address))]:
			return true
		case res.ICMP != nil && ips[canonicalIP(res.ICMP.Address)]:
			return true
		case res.DNS != nil && (res.DNS.Name == tv.t.Name || res.DNS.Name == tv.t.Spec):
			return true
		case res.DNS != nil:
			for _, q := range res.DNS.Queries {
				if ips[canonicalIP(stripPort(q.Server))] {
					return true // a DNS Service target is covered by queries to it or its replicas
				}
			}
		}
	}
	return false
}
