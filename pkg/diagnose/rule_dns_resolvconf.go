package diagnose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleDNSResolvConf judges the pod's resolver configuration: no nameserver at
// all is a fault; a short name that walks the whole search list before the real
// name answers (the ndots:5 query storm) is worth knowing.
func ruleDNSResolvConf(d *diagnosis) {
	for _, res := range dnsResults(d.ix.r) {
		rc := res.DNS.ResolvConf
		if rc == nil {
			continue
		}
		if len(rc.Nameservers) == 0 {
			f := newFinding(IDDNSNoNameserver)
			f.Target = dnsTargetLabel(d.ix, res)
			f.Summary = fmt.Sprintf("%s: %s has no nameserver line", f.Target, resolvConfOf(d.ix, res))
			f.Hop = resolvConfOf(d.ix, res)
			f.CheckIDs = []string{res.ID}
			f.Evidence = []string{resolvConfLine(rc)}
			d.add(f)
			continue
		}
		if f, ok := ndotsFinding(d.ix, res); ok {
			d.add(f)
		}
	}
}

func ndotsFinding(ix *index, res *v1alpha1.CheckResult) (v1alpha1.Finding, bool) {
	dns, rc := res.DNS, res.DNS.ResolvConf
	name := dns.Name
	if rc.Ndots == 0 || strings.HasSuffix(name, ".") || strings.Count(name, ".") >= rc.Ndots || dns.Resolved == "" {
		return v1alpha1.Finding{}, false
	}
	at := -1
	for i, n := range dns.Expansion {
		if strings.TrimSuffix(n, ".") == strings.TrimSuffix(dns.Resolved, ".") {
			at = i
			break
		}
	}
	if at <= 0 {
		return v1alpha1.Finding{}, false // the first name tried answered: nothing wasted
	}
	types := queryTypes(dns)
	f := newFinding(IDDNSNdotsExpansion)
	f.Target = dnsTargetLabel(ix, res)
	f.Summary = fmt.Sprintf("%s: %s before %s resolves (ndots:%d)", f.Target,
		plural(at, "search-list name fails", "search-list names fail"), strings.TrimSuffix(dns.Resolved, "."), rc.Ndots)
	f.Hop = resolvConfOf(ix, res)
	f.CheckIDs = []string{res.ID}
	f.Evidence = []string{
		fmt.Sprintf("%q has %d dots, fewer than ndots:%d, so the search list is tried first", name, strings.Count(name, "."), rc.Ndots),
		"tried before the answer: " + strings.Join(dns.Expansion[:at], ", "),
		fmt.Sprintf("each lookup costs %d queries (%d names x %d types) instead of %d", (at+1)*types, at+1, types, types),
	}
	f.Fix = fmt.Sprintf("Use %q (trailing dot) in the application, or set dnsConfig.options ndots: %d on the pod.",
		strings.TrimSuffix(dns.Resolved, ".")+".", max(1, strings.Count(name, ".")))
	return f, true
}

func queryTypes(dns *v1alpha1.DNSResult) int {
	seen := map[string]bool{}
	for _, q := range dns.Queries {
		seen[q.Type] = true
	}
	return max(1, len(seen))
}

// resolvConfOf names the resolver config of the pod the DNS check ran in.
func resolvConfOf(ix *index, res *v1alpha1.CheckResult) string {
	return firstNonEmpty(res.Vantage, ix.sourceVantage()) + " /etc/resolv.conf"
}

func resolvConfLine(rc *v1alpha1.ResolvConf) string {
	opts := append([]string(nil), rc.Options...)
	sort.Strings(opts)
	return fmt.Sprintf("resolv.conf: nameservers [%s], search [%s], ndots:%d, options [%s]",
		strings.Join(rc.Nameservers, " "), strings.Join(rc.Search, " "), rc.Ndots, strings.Join(opts, " "))
}
