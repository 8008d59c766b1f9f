package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleDNSTransport reports DNS servers that answer over one transport and fail
// every query over the other. Over TCP only large (truncated) answers suffer, so
// that is a warning unless a truncated UDP answer was seen; over UDP every lookup
// suffers. The affected servers are claimed so the replica and all-servers rules
// do not count a transport problem as a dead server.
func ruleDNSTransport(d *diagnosis) {
	for _, res := range dnsResults(d.ix.r) {
		split := map[string][]*dnsServer{}
		truncated := false
		all := dnsServers(res.DNS)
		decided := decidedNames(all)
		for _, s := range all {
			if t := s.transportSplit(decided); t != "" {
				split[t] = append(split[t], s)
			}
			if u := s.byTransport["udp"]; u != nil && u.truncated {
				truncated = true
			}
		}
		for _, broken := range []string{"udp", "tcp"} {
			servers := split[broken]
			if len(servers) == 0 {
				continue
			}
			working := map[string]string{"udp": "tcp", "tcp": "udp"}[broken]
			id := IDDNSTCPFailing
			if broken == "udp" {
				id = IDDNSUDPFailing
			}
			f := newFinding(id)
			f.Target = dnsTargetLabel(d.ix, res)
			names := make([]string, len(servers))
			for i, s := range servers {
				names[i] = s.describe(d.ix)
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s: %s %s, %s %s", s.addr,
					working, s.byTransport[working], broken, s.byTransport[broken]))
			}
			f.Summary = fmt.Sprintf("%s: DNS over %s fails while %s works (%s)", f.Target,
				strings.ToUpper(broken), strings.ToUpper(working), plural(len(servers), "server", "servers"))
			f.Hop = fmt.Sprintf("%s 53 to %s", strings.ToUpper(broken), strings.Join(names, ", "))
			if shared := undecided(servers[0].queries, decided); len(shared) > 0 {
				f.Evidence = append(f.Evidence, "not counted, as every server failed them over both transports: "+
					strings.Join(shared, ", "))
			}
			if broken == "tcp" && truncated {
				f.Severity = v1alpha1.SeverityFault
				f.Evidence = append(f.Evidence, "a UDP answer came back truncated (TC bit): the client must retry over TCP, which fails")
			}
			f.CheckIDs = []string{res.ID}
			i := d.add(f)
			for _, s := range servers {
				d.claim(dnsClaimKey(res, s.addr), i)
			}
		}
	}
}

// undecided lists the distinct "name type" queries that no server decided.
func undecided(qs []v1alpha1.DNSQuery, decided map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, q := range qs {
		k := nameKey(q)
		if !decided[k] && !seen[k] {
			seen[k] = true
			out = append(out, q.QName+" "+q.Type)
		}
	}
	return out
}
