package dns

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// answered reports whether a query got an authoritative-looking answer, one the
// libc resolver accepts without trying the next server.
func answered(q v1alpha1.DNSQuery) bool { return q.Rcode == "NOERROR" || q.Rcode == "NXDOMAIN" }

// AppView computes what the application gets: for each name of the expansion in
// order, the first resolv.conf nameserver that answers (a timeout, SERVFAIL or
// REFUSED makes libc try the next server) decides; NOERROR with addresses
// resolves, NXDOMAIN or no data moves on to the next name. Only queries over the
// application's transport (udp unless the spec asks for tcp only) count.
func AppView(expansion []string, servers []Server, qs []v1alpha1.DNSQuery, transport string) (string, []string) {
	for _, name := range expansion {
		for _, s := range servers {
			if s.Role != RoleResolvConf {
				continue
			}
			var addrs []string
			gotAnswer := false
			for _, q := range qs {
				if q.QName != name || q.Server != s.Addr || q.Transport != transport || !answered(q) {
					continue
				}
				gotAnswer = true
				for _, a := range q.Answers {
					if net.ParseIP(a) != nil && !slices.Contains(addrs, a) {
						addrs = append(addrs, a)
					}
				}
			}
			if !gotAnswer {
				continue // this server failed for this name: libc tries the next one
			}
			if len(addrs) > 0 {
				return name, addrs
			}
			break // answered without addresses: libc moves on to the next name
		}
	}
	return "", nil
}

// problem is one server's failures where other servers answered.
type problem struct {
	server string
	kinds  map[string]int
	failed int
	total  int
}

// Verdict decides the status and writes the summary. It fails when the
// application view does not resolve, or when a server fails (timeout, error,
// SERVFAIL, REFUSED) or disagrees on the rcode for a query other servers answered.
// It warns on truncated UDP answers and on differing address sets.
func Verdict(r v1alpha1.DNSResult) (v1alpha1.Status, string) {
	groups := map[string][]v1alpha1.DNSQuery{}
	var keys []string
	for _, q := range r.Queries {
		k := q.QName + "|" + q.Type + "|" + q.Transport
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], q)
	}
	probs := map[string]*problem{}
	totals := map[string]int{}
	var truncated, differing bool
	for _, k := range keys {
		g := groups[k]
		majority := majorityRcode(g)
		for _, q := range g {
			totals[q.Server]++
			truncated = truncated || q.Truncated
		}
		if majority == "" {
			continue // nobody answered: no server to blame against another
		}
		var answerSets []string
		for _, q := range g {
			kind := failureKind(q, majority)
			if kind == "" {
				if q.Rcode == "NOERROR" {
					answerSets = append(answerSets, strings.Join(sorted(q.Answers), ","))
				}
				continue
			}
			p := probs[q.Server]
			if p == nil {
				p = &problem{server: label(q), kinds: map[string]int{}}
				probs[q.Server] = p
			}
			p.kinds[kind]++
			p.failed++
		}
		differing = differing || len(slices.Compact(sorted(answerSets))) > 1
	}

	var parts []string
	if r.Resolved != "" {
		parts = append(parts, fmt.Sprintf("%s -> %s", r.Resolved, strings.Join(r.Addresses, ", ")))
	} else {
		parts = append(parts, fmt.Sprintf("%s does not resolve via the resolv.conf nameservers (tried %d names)", r.Name, len(r.Expansion)))
	}
	servers := make([]string, 0, len(probs))
	for s := range probs {
		servers = append(servers, s)
	}
	sort.Strings(servers)
	for _, s := range servers {
		p := probs[s]
		p.total = totals[s]
		parts = append(parts, fmt.Sprintf("%s %s on %d/%d queries others answered", p.server, kindText(p.kinds), p.failed, p.total))
	}
	switch {
	case r.Resolved == "" || len(probs) > 0:
		return v1alpha1.StatusFail, strings.Join(parts, "; ")
	case truncated:
		return v1alpha1.StatusWarn, strings.Join(append(parts, "some UDP answers were truncated (TC)"), "; ")
	case differing:
		return v1alpha1.StatusWarn, strings.Join(append(parts, "servers returned different address sets"), "; ")
	}
	return v1alpha1.StatusPass, fmt.Sprintf("%s; all %d queries consistent", parts[0], len(r.Queries))
}

// majorityRcode is the most common answered rcode of a group ("" if none answered).
func majorityRcode(g []v1alpha1.DNSQuery) string {
	counts := map[string]int{}
	best := ""
	for _, q := range g {
		if !answered(q) {
			continue
		}
		counts[q.Rcode]++
		if counts[q.Rcode] > counts[best] || (counts[q.Rcode] == counts[best] && q.Rcode < best) {
			best = q.Rcode
		}
	}
	return best
}

// failureKind says how q failed against the group's majority ("" when it agrees).
func failureKind(q v1alpha1.DNSQuery, majority string) string {
	switch {
	case q.Timeout:
		return "timed out"
	case q.Error != "":
		return "failed (" + shortError(q.Error) + ")"
	case q.Rcode != majority:
		return "answered " + q.Rcode
	}
	return ""
}

// shortError keeps the last, most specific part of a wrapped socket error.
func shortError(e string) string {
	if i := strings.LastIndex(e, ": "); i >= 0 {
		return e[i+2:]
	}
	return e
}

func kindText(kinds map[string]int) string {
	ks := make([]string, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// label names a server for the summary: "10.244.1.5:53 (kube-system/coredns-abc12)".
func label(q v1alpha1.DNSQuery) string {
	if q.ServerName != "" {
		return fmt.Sprintf("%s (%s)", q.Server, q.ServerName)
	}
	return fmt.Sprintf("%s (%s)", q.Server, q.Role)
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
