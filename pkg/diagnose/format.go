package diagnose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// pct renders k/n as a percentage with one decimal only when it would round to 0.
func pct(k, n int) string {
	if n == 0 {
		return "n/a"
	}
	p := 100 * float64(k) / float64(n)
	if p > 0 && p < 1 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// failureRate renders the failed share of s, e.g. "5 of 20 refused (25%)", or
// "7 of 20 failed (35%): 5 refused, 2 timeout" when failures differ in kind.
func failureRate(s *addrStats) string {
	kinds := failureKinds(s)
	if len(kinds) == 1 {
		return fmt.Sprintf("%d of %d %s (%s)", s.failed(), s.total, kinds[0].name, pct(s.failed(), s.total))
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", k.n, k.name)
	}
	return fmt.Sprintf("%d of %d failed (%s): %s", s.failed(), s.total, pct(s.failed(), s.total), strings.Join(parts, ", "))
}

type outcomeCount struct {
	name string
	n    int
}

// failureKinds lists the failed outcomes of s, most frequent first.
func failureKinds(s *addrStats) []outcomeCount {
	var out []outcomeCount
	for _, o := range []v1alpha1.TCPOutcome{v1alpha1.TCPRefused, v1alpha1.TCPTimeout, v1alpha1.TCPReset,
		v1alpha1.TCPUnreachable, v1alpha1.TCPError} {
		if n := s.counts[o]; n > 0 {
			out = append(out, outcomeCount{name: outcomeWord(o), n: n})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].n > out[j].n })
	return out
}

func outcomeWord(o v1alpha1.TCPOutcome) string {
	switch o {
	case v1alpha1.TCPRefused:
		return "refused"
	case v1alpha1.TCPTimeout:
		return "timed out"
	case v1alpha1.TCPReset:
		return "reset"
	case v1alpha1.TCPUnreachable:
		return "unreachable"
	default:
		return "errored"
	}
}

// rateLimitNote explains timeouts counted as rejections
// (addrStats.rejectsLookLikeTimeouts) of the given kind.
func rateLimitNote(kind v1alpha1.TCPOutcome) string {
	if kind == v1alpha1.TCPUnreachable {
		return "the timeouts next to the unreachable answers are the same answers: the host or router that " +
			"sends ICMP host-unreachable (or a REJECT rule sending it) rate-limits ICMP errors per client " +
			"(net.ipv4.icmp_ratelimit: a burst of 6, then 1 a second), so past the burst SYNs get no answer"
	}
	return "the timeouts next to the refusals are rejections too: a REJECT rule answers with ICMP " +
		"port-unreachable, which the rejecting kernel rate-limits per client (net.ipv4.icmp_ratelimit: a burst " +
		"of 6, then 1 a second), so past the burst rejected SYNs get no answer"
}

// connectLine is the headline evidence of an address, e.g.
// "10.244.1.5:8080: 20 of 20 refused (100%) [ECONNREFUSED x20]" or "10.244.2.7:8080: 20/20 connected, p50 0.4ms".
func connectLine(s *addrStats) string {
	if s.failed() == 0 {
		return fmt.Sprintf("%s: %d/%d connected%s", s.addr, s.ok(), s.total, p50(s))
	}
	line := s.addr + ": " + failureRate(s)
	if e := errnoSummary(s); e != "" {
		line += " [" + e + "]"
	}
	return line
}

// errnoSummary renders the errnos seen, most frequent first: "ECONNREFUSED x20".
func errnoSummary(s *addrStats) string {
	var es []outcomeCount
	for e, n := range s.errnos {
		es = append(es, outcomeCount{name: e, n: n})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].n != es[j].n {
			return es[i].n > es[j].n
		}
		return es[i].name < es[j].name
	})
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%s x%d", e.name, e.n)
	}
	return strings.Join(parts, ", ")
}

// p50 is ", p50 0.4ms" from the first result that measured one.
func p50(s *addrStats) string {
	for _, r := range s.results {
		if r.TCP.P50Millis > 0 {
			return fmt.Sprintf(", p50 %.1fms", r.TCP.P50Millis)
		}
	}
	return ""
}

// podOnNode renders "pod ns/web-1 on node n2" with whatever parts are known.
func podOnNode(pod, node string) string {
	switch {
	case pod != "" && node != "":
		return "pod " + pod + " on node " + node
	case pod != "":
		return "pod " + pod
	case node != "":
		return "node " + node
	}
	return ""
}

// addrHop names where an address sits: "endpoint 10.244.1.5:8080 (pod default/web-1 on node n2)",
// "pod default/web-1 10.244.1.5:8080 on node n2", "Service IP 10.96.0.20:80" or the bare address.
func addrHop(s *addrStats) string {
	switch {
	case s.endpoint != nil:
		if where := podOnNode(s.podRef(), s.node()); where != "" {
			return fmt.Sprintf("endpoint %s (%s)", s.addr, where)
		}
		return "endpoint " + s.addr
	case s.podRef() != "":
		hop := "pod " + s.podRef() + " " + s.addr
		if n := s.node(); n != "" {
			hop += " on node " + n
		}
		return hop
	case s.target != nil && s.target.isService():
		return "Service IP " + s.addr
	}
	return s.addr
}

// shortAddrHop is addrHop without the node, for evidence lines listing many endpoints.
func shortAddrHop(s *addrStats) string {
	if s.endpoint != nil && s.podRef() != "" {
		return fmt.Sprintf("endpoint %s (pod %s)", s.addr, s.podRef())
	}
	return addrHop(s)
}

// sourceDesc names the source pod and its node for hops that span a path.
func (ix *index) sourceDesc() string {
	return podOnNode(qualify(ix.r.Source.Namespace, ix.r.Source.Pod), ix.r.Source.Node)
}

// namespaceOf is the namespace of a "namespace/name" reference.
func namespaceOf(ref string) string {
	ns, _, _ := strings.Cut(ref, "/")
	return ns
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
