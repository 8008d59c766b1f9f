package diagnose

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// DNS query outcomes as the rules see them: an answer (NOERROR, possibly empty),
// the name does not exist (NXDOMAIN: the server works), or a failure of the server
// or the path to it (timeout, transport error, SERVFAIL, REFUSED, ...).
type queryClass int

const (
	queryAnswered queryClass = iota
	queryNXDomain
	queryFailed
)

func classifyQuery(q v1alpha1.DNSQuery) queryClass {
	switch {
	case q.Timeout || q.Error != "":
		return queryFailed
	case q.Rcode == "NOERROR":
		return queryAnswered
	case q.Rcode == "NXDOMAIN":
		return queryNXDomain
	}
	return queryFailed
}

// failureReason is the short word for a failed query: "timeout", "SERVFAIL", "error".
func failureReason(q v1alpha1.DNSQuery) string {
	switch {
	case q.Timeout:
		return "timeout"
	case q.Error != "":
		return "error"
	case q.Rcode != "":
		return q.Rcode
	}
	return "no answer"
}

// dnsTally counts the queries to one server (over one transport or all).
type dnsTally struct {
	total, answered, nxdomain, failed int
	reasons                           map[string]int
	truncated                         bool
}

func (t *dnsTally) add(q v1alpha1.DNSQuery) {
	if t.reasons == nil {
		t.reasons = map[string]int{}
	}
	t.total++
	t.truncated = t.truncated || q.Truncated
	switch classifyQuery(q) {
	case queryAnswered:
		t.answered++
	case queryNXDomain:
		t.nxdomain++
	default:
		t.failed++
		t.reasons[failureReason(q)]++
	}
}

// String renders "3 of 4 failed (3 timeout)" or "4/4 answered".
func (t dnsTally) String() string {
	if t.failed == 0 {
		return fmt.Sprintf("%d/%d answered", t.answered+t.nxdomain, t.total)
	}
	var rs []string
	for r, n := range t.reasons {
		rs = append(rs, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(rs)
	return fmt.Sprintf("%d of %d failed (%s)", t.failed, t.total, strings.Join(rs, ", "))
}

// dnsServer is every query of one DNS result to one server.
type dnsServer struct {
	addr, name, role string
	all              dnsTally
	byTransport      map[string]*dnsTally
	queries          []v1alpha1.DNSQuery
}

// configured: the server is one of the pod's resolv.conf nameservers (for a
// ClusterFirst pod, the kube-dns Service IP), not a replica queried directly.
func (s *dnsServer) configured(rc *v1alpha1.ResolvConf) bool {
	if s.role != "" {
		return s.role == "resolv.conf"
	}
	if rc == nil {
		return false
	}
	for _, ns := range rc.Nameservers {
		if canonicalIP(stripPort(ns)) == canonicalIP(stripPort(s.addr)) {
			return true
		}
	}
	return false
}

// transportSplit reports a server that answers over one transport and fails
// every query over the other: returns the failing transport, or "". Only
// queries some server decided over either transport count (decidedNames): a
// name every server fails alike (outside the cluster domain with no upstream)
// says nothing about a transport.
func (s *dnsServer) transportSplit(decided map[string]bool) string {
	type tally struct{ failed, decidable int }
	by := map[string]*tally{"udp": {}, "tcp": {}}
	for _, q := range s.queries {
		t := by[q.Transport]
		if t == nil || !decided[nameKey(q)] {
			continue
		}
		t.decidable++
		if classifyQuery(q) == queryFailed {
			t.failed++
		}
	}
	udp, tcp := by["udp"], by["tcp"]
	if udp.decidable == 0 || tcp.decidable == 0 {
		return ""
	}
	switch {
	case udp.failed == 0 && tcp.failed == tcp.decidable:
		return "tcp"
	case tcp.failed == 0 && udp.failed == udp.decidable:
		return "udp"
	}
	return ""
}

// decidedNames are the "qname/type" pairs some server answered with NOERROR or
// NXDOMAIN over any transport.
func decidedNames(servers []*dnsServer) map[string]bool {
	out := map[string]bool{}
	for _, s := range servers {
		for _, q := range s.queries {
			if classifyQuery(q) != queryFailed {
				out[nameKey(q)] = true
			}
		}
	}
	return out
}

func nameKey(q v1alpha1.DNSQuery) string { return q.QName + "/" + q.Type }

// failedDecided counts s's failed queries that some server definitively answered
// (see decidedQueries), and how many of s's queries were decided at all. Only such
// failures say something about s: a failure every server shares — a name outside
// the cluster when CoreDNS has no upstream, as on an air-gapped cluster — does not.
func (s *dnsServer) failedDecided(decided map[string]bool) (failed, decidable int) {
	for _, q := range s.queries {
		if !decided[queryKey(q)] {
			continue
		}
		decidable++
		if classifyQuery(q) == queryFailed {
			failed++
		}
	}
	return failed, decidable
}

// decidedQueries are the "qname/type/transport" queries some server answered
// with NOERROR or NXDOMAIN: a definite answer a working server gives.
func decidedQueries(servers []*dnsServer) map[string]bool {
	out := map[string]bool{}
	for _, s := range servers {
		for _, q := range s.queries {
			if classifyQuery(q) != queryFailed {
				out[queryKey(q)] = true
			}
		}
	}
	return out
}

func queryKey(q v1alpha1.DNSQuery) string { return q.QName + "/" + q.Type + "/" + q.Transport }

// dnsServers groups a DNS result's queries by server, in first-seen order.
func dnsServers(res *v1alpha1.DNSResult) []*dnsServer {
	var out []*dnsServer
	byAddr := map[string]*dnsServer{}
	for _, q := range res.Queries {
		s := byAddr[q.Server]
		if s == nil {
			s = &dnsServer{addr: q.Server, name: q.ServerName, role: q.Role, byTransport: map[string]*dnsTally{}}
			byAddr[q.Server] = s
			out = append(out, s)
		}
		s.all.add(q)
		if s.byTransport[q.Transport] == nil {
			s.byTransport[q.Transport] = &dnsTally{}
		}
		s.byTransport[q.Transport].add(q)
		s.queries = append(s.queries, q)
	}
	return out
}

// describe names a server for humans: "kube-system/coredns-abc12 on node k8slab-node2 at 10.244.1.3".
func (s *dnsServer) describe(ix *index) string {
	name := s.name
	node := ""
	if t, ep := ix.endpointByIP(canonicalIP(stripPort(s.addr))); ep != nil {
		name = firstNonEmpty(name, qualify(t.Namespace, ep.Pod))
		node = ep.Node
	}
	if node != "" && !strings.Contains(name, node) {
		name = strings.TrimSpace(name + " on node " + node)
	}
	if name == "" {
		return s.addr
	}
	return name + " at " + s.addr
}

func stripPort(a string) string {
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	return a
}

// dnsResults are the DNS results that ran.
func dnsResults(r *v1alpha1.Report) []*v1alpha1.CheckResult {
	var out []*v1alpha1.CheckResult
	for i := range r.Results {
		res := &r.Results[i]
		if res.DNS != nil && res.Status != v1alpha1.StatusError && res.Status != v1alpha1.StatusSkip {
			out = append(out, res)
		}
	}
	return out
}

// dnsTargetLabel names what was resolved: the matching --to target or "dns/NAME".
func dnsTargetLabel(ix *index, res *v1alpha1.CheckResult) string {
	for _, tv := range ix.targets {
		if tv.t.Kind == "dns" && (tv.t.Name == res.DNS.Name || tv.t.Spec == res.DNS.Name) {
			return targetLabel(tv.t)
		}
	}
	return firstNonEmpty(res.Target, "dns/"+res.DNS.Name)
}

// dnsClaimKey identifies one server within one DNS result for claims.
func dnsClaimKey(res *v1alpha1.CheckResult, server string) string {
	return "dns:" + res.ID + ":" + server
}
