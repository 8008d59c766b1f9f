package diagnose

import (
	"fmt"
)

// ruleDNSReplica compares DNS replicas queried directly (role "endpoint"): one
// that fails, or says NXDOMAIN for a name another replica answers, while some
// replica answers everything, is a broken replica. Through the Service IP that
// looks like random lookup failures, so the finding also gives the configured
// nameserver's own failure count: the ClusterIP view alone hides the culprit.
func ruleDNSReplica(d *diagnosis) {
	for _, res := range dnsResults(d.ix.r) {
		rc := res.DNS.ResolvConf
		var replicas, configured []*dnsServer
		for _, s := range dnsServers(res.DNS) {
			if s.configured(rc) {
				configured = append(configured, s)
			} else {
				replicas = append(replicas, s)
			}
		}
		answeredBySomeone := answeredNames(replicas)
		decidedBySomeone := decidedQueries(replicas)
		var good, bad []*dnsServer
		wrong, lost := map[*dnsServer]int{}, map[*dnsServer]int{}
		for _, s := range replicas {
			if d.isClaimed(dnsClaimKey(res, s.addr)) {
				continue
			}
			for _, q := range s.queries {
				if classifyQuery(q) == queryNXDomain && answeredBySomeone[q.QName+"/"+q.Type] {
					wrong[s]++
				}
			}
			lost[s], _ = s.failedDecided(decidedBySomeone)
			switch {
			case lost[s] == 0 && wrong[s] == 0 && s.all.answered > 0:
				good = append(good, s)
			case lost[s]+wrong[s] > 0:
				bad = append(bad, s)
			}
		}
		if len(good) == 0 {
			continue
		}
		for _, s := range bad {
			f := newFinding(IDDNSReplicaFailing)
			f.Target = dnsTargetLabel(d.ix, res)
			f.Summary = fmt.Sprintf("%s: DNS replica %s fails %d of %d queries while %s answers", f.Target,
				s.describe(d.ix), lost[s]+wrong[s], s.all.total, good[0].addr)
			f.Hop = "DNS replica " + s.describe(d.ix)
			f.Evidence = []string{"replica " + s.describe(d.ix) + ": " + s.all.String()}
			if wrong[s] > 0 {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%d NXDOMAIN answers for names another replica resolves", wrong[s]))
			}
			for _, g := range good {
				f.Evidence = append(f.Evidence, "replica "+g.describe(d.ix)+": "+g.all.String())
			}
			for _, c := range configured {
				f.Evidence = append(f.Evidence, fmt.Sprintf("via the resolv.conf nameserver %s: %d of %d queries failed "+
					"(the Service IP view alone hides which replica)", c.addr, c.all.failed, c.all.total))
			}
			f.CheckIDs = []string{res.ID}
			d.claim(dnsClaimKey(res, s.addr), d.add(f))
		}
	}
}

// answeredNames are the "qname/type" pairs some server answered with NOERROR.
func answeredNames(servers []*dnsServer) map[string]bool {
	out := map[string]bool{}
	for _, s := range servers {
		for _, q := range s.queries {
			if classifyQuery(q) == queryAnswered {
				out[q.QName+"/"+q.Type] = true
			}
		}
	}
	return out
}
