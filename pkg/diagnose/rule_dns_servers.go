package diagnose

import (
	"fmt"
	"strings"
)

// ruleDNSServers reports DNS failing as a whole: every server (configured and
// replicas) failing every query, or the configured nameserver (the kube-dns
// Service IP) failing while every replica answers directly, which moves the
// fault from DNS to the Service path on the source node.
func ruleDNSServers(d *diagnosis) {
	for _, res := range dnsResults(d.ix.r) {
		rc := res.DNS.ResolvConf
		servers := dnsServers(res.DNS)
		var configured, replicas []*dnsServer
		allFail := len(servers) > 0
		for _, s := range servers {
			if d.isClaimed(dnsClaimKey(res, s.addr)) {
				allFail = false // a transport split: the server answers on the other transport
				continue
			}
			allFail = allFail && s.all.failed == s.all.total
			if s.configured(rc) {
				configured = append(configured, s)
			} else {
				replicas = append(replicas, s)
			}
		}
		// Judge the Service IP only on queries a replica answered: with no upstream,
		// every server fails the search list's last, non-cluster name alike.
		decided := decidedQueries(replicas)
		switch {
		case allFail:
			f := newFinding(IDDNSAllServersFailing)
			f.Target = dnsTargetLabel(d.ix, res)
			f.Summary = fmt.Sprintf("%s: every DNS server fails (%s)", f.Target, plural(len(servers), "server", "servers"))
			names := make([]string, len(servers))
			for i, s := range servers {
				names[i] = s.addr
				f.Evidence = append(f.Evidence, s.describe(d.ix)+": "+s.all.String())
			}
			f.Hop = "DNS servers " + strings.Join(names, ", ")
			f.CheckIDs = []string{res.ID}
			i := d.add(f)
			for _, s := range servers {
				d.claim(dnsClaimKey(res, s.addr), i)
			}
		case len(configured) > 0 && len(replicas) > 0 && allAnswer(replicas, decided) && allFailed(configured, decided):
			f := newFinding(IDDNSServiceIPFailing)
			f.Target = dnsTargetLabel(d.ix, res)
			f.Summary = fmt.Sprintf("%s: nameserver %s fails while all %s answer directly", f.Target,
				configured[0].addr, plural(len(replicas), "DNS replica", "DNS replicas"))
			f.Hop = fmt.Sprintf("DNS Service IP %s (kube-proxy rules on node %s)", configured[0].addr,
				firstNonEmpty(d.ix.r.Source.Node, "of the source"))
			for _, s := range configured {
				f.Evidence = append(f.Evidence, "resolv.conf nameserver "+s.describe(d.ix)+": "+s.all.String())
			}
			for _, s := range replicas {
				f.Evidence = append(f.Evidence, "replica "+s.describe(d.ix)+": "+s.all.String())
			}
			f.CheckIDs = []string{res.ID}
			i := d.add(f)
			for _, s := range configured {
				d.claim(dnsClaimKey(res, s.addr), i)
			}
		}
	}
}

// allAnswer: every server answers every query some server decided.
func allAnswer(servers []*dnsServer, decided map[string]bool) bool {
	for _, s := range servers {
		if failed, decidable := s.failedDecided(decided); failed > 0 || decidable == 0 {
			return false
		}
	}
	return true
}

// allFailed: every server fails every query some other server decided.
func allFailed(servers []*dnsServer, decided map[string]bool) bool {
	for _, s := range servers {
		if failed, decidable := s.failedDecided(decided); decidable == 0 || failed != decidable {
			return false
		}
	}
	return true
}
