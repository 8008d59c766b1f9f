package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleDNSNXDomain reports a name that does not exist: every name of the search
// expansion came back NXDOMAIN from the configured nameservers and none answered.
// The servers work; the name (often the namespace part) is wrong.
func ruleDNSNXDomain(d *diagnosis) {
	for _, res := range dnsResults(d.ix.r) {
		dns := res.DNS
		if dns.Resolved != "" {
			continue
		}
		var all, configured dnsTally
		for _, s := range dnsServers(dns) {
			for _, q := range s.queries {
				all.add(q)
				if s.configured(dns.ResolvConf) {
					configured.add(q)
				}
			}
		}
		view := configured
		if view.total == 0 {
			view = all
		}
		if view.nxdomain == 0 || view.answered > 0 || all.answered > 0 {
			continue
		}
		tried := nxdomainNames(dns)
		f := newFinding(IDDNSNXDomain)
		f.Target = dnsTargetLabel(d.ix, res)
		f.Summary = fmt.Sprintf("%s: %q does not exist: NXDOMAIN for all %s tried", f.Target, dns.Name,
			plural(len(tried), "name", "names"))
		f.Hop = fmt.Sprintf("name %q (search list of %s)", dns.Name, firstNonEmpty(res.Vantage, d.ix.sourceVantage()))
		f.CheckIDs = []string{res.ID}
		f.Evidence = []string{
			"names tried: " + strings.Join(tried, ", "),
			fmt.Sprintf("answers: %d NXDOMAIN, %d failed, 0 NOERROR", view.nxdomain, view.failed),
		}
		if dns.ResolvConf != nil {
			f.Evidence = append(f.Evidence, resolvConfLine(dns.ResolvConf))
		}
		if hint := nameHint(dns.Name); hint != "" {
			f.Evidence = append(f.Evidence, hint)
		}
		d.add(f)
	}
}

// nameHint explains how a cluster name is read, for the common wrong-namespace case.
func nameHint(name string) string {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	switch {
	case len(labels) == 1:
		return fmt.Sprintf("%q is looked up in the source pod's namespace only; a Service in another namespace "+
			"needs %s.NAMESPACE", name, name)
	case len(labels) == 2:
		return fmt.Sprintf("%q means Service %q in namespace %q: check both with kubectl get svc -n %s",
			name, labels[0], labels[1], labels[1])
	}
	return ""
}

// nxdomainNames lists the names tried and the answer each got, for evidence.
func nxdomainNames(dns *v1alpha1.DNSResult) []string {
	tried := dns.Expansion
	if len(tried) == 0 {
		seen := map[string]bool{}
		for _, q := range dns.Queries {
			if !seen[q.QName] {
				seen[q.QName] = true
				tried = append(tried, q.QName)
			}
		}
	}
	out := make([]string, 0, len(tried))
	for _, n := range tried {
		out = append(out, strings.TrimSuffix(n, "."))
	}
	return out
}
