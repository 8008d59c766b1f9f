package diagnose

import (
	"net"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// index is the report reorganised for the rules: TCP evidence aggregated per
// address and tied to the target (and endpoint) that address belongs to, and
// netinfo by vantage. Evidence is matched by IP:port, never by parsing labels.
type index struct {
	r       *v1alpha1.Report
	targets []*targetView
	// addrs holds TCP evidence per "ip:port" in first-seen order.
	addrs   []*addrStats
	byAddr  map[string]*addrStats
	netinfo map[string]netinfoView
}

// targetView is one resolved target with its TCP evidence.
type targetView struct {
	t *v1alpha1.Target
	// front are the target's own addresses (ClusterIP, pod IP, literal IP) that were probed.
	front     []*addrStats
	endpoints []endpointView
}

// endpointView is one Service backend; stats is nil when it was not probed.
type endpointView struct {
	ep    v1alpha1.Endpoint
	stats *addrStats
}

// netinfoView is the netinfo evidence of one vantage and the result it came from.
type netinfoView struct {
	info    *v1alpha1.NetInfo
	checkID string
}

// addrStats aggregates every TCP result to one address (across vantages).
type addrStats struct {
	addr    string
	results []*v1alpha1.CheckResult
	counts  map[v1alpha1.TCPOutcome]int
	total   int
	errnos  map[string]int
	target  *targetView
	// endpoint is set when addr is a Service backend, nil for a front address.
	endpoint *v1alpha1.Endpoint
}

func newIndex(r *v1alpha1.Report) *index {
	ix := &index{r: r, byAddr: map[string]*addrStats{}, netinfo: map[string]netinfoView{}}
	owners := map[string]func(*addrStats){}
	for i := range r.Targets {
		tv := &targetView{t: &r.Targets[i]}
		ix.targets = append(ix.targets, tv)
		for j := range tv.t.Endpoint {
			tv.endpoints = append(tv.endpoints, endpointView{ep: tv.t.Endpoint[j]})
		}
		if tv.t.Port > 0 {
			for _, ip := range tv.t.IPs {
				key := normaliseAddr(hostPort(ip, tv.t.Port))
				if _, taken := owners[key]; !taken {
					owners[key] = func(s *addrStats) { s.target = tv; tv.front = append(tv.front, s) }
				}
			}
		}
		for j := range tv.endpoints {
			ev := &tv.endpoints[j]
			key := normaliseAddr(hostPort(ev.ep.IP, ev.ep.Port))
			if _, taken := owners[key]; !taken {
				owners[key] = func(s *addrStats) { s.target, s.endpoint, ev.stats = tv, &ev.ep, s }
			}
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		switch {
		case res.TCP != nil && res.Status != v1alpha1.StatusError && res.Status != v1alpha1.StatusSkip:
			key := normaliseAddr(res.TCP.Address)
			s, ok := ix.byAddr[key]
			if !ok {
				s = &addrStats{addr: key, counts: map[v1alpha1.TCPOutcome]int{}, errnos: map[string]int{}}
				ix.byAddr[key] = s
				ix.addrs = append(ix.addrs, s)
				if own := owners[key]; own != nil {
					own(s)
				}
			}
			s.add(res)
		case res.NetInfo != nil:
			if _, seen := ix.netinfo[res.Vantage]; !seen {
				ix.netinfo[res.Vantage] = netinfoView{info: res.NetInfo, checkID: res.ID}
			}
		}
	}
	return ix
}

func (s *addrStats) add(res *v1alpha1.CheckResult) {
	s.results = append(s.results, res)
	if len(res.TCP.Counts) > 0 {
		for o, n := range res.TCP.Counts {
			s.counts[o] += n
			s.total += n
		}
	} else {
		for _, a := range res.TCP.Attempts {
			s.counts[a.Outcome]++
			s.total++
		}
	}
	for _, a := range res.TCP.Attempts {
		if a.Errno != "" {
			s.errnos[a.Errno]++
		}
	}
}

func (s *addrStats) ok() int     { return s.counts[v1alpha1.TCPOK] }
func (s *addrStats) failed() int { return s.total - s.ok() }

// refusedLike counts attempts the far end actively rejected (RST, REJECT, reset).
func (s *addrStats) refusedLike() int {
	return s.counts[v1alpha1.TCPRefused] + s.counts[v1alpha1.TCPReset]
}

// allFailed: attempts were made and none connected.
func (s *addrStats) allFailed() bool { return s.total > 0 && s.ok() == 0 }

// intermittent: some attempts connected and some did not.
func (s *addrStats) intermittent() bool { return s.ok() > 0 && s.failed() > 0 }

// rejectsLookLikeTimeouts: timeouts next to ICMP-answered failures at one
// address are the same rejections. A REJECT rule answers with an ICMP error
// (port-unreachable by default, host-unreachable or host-prohibited on request,
// as firewalld does), and the answering kernel rate-limits ICMP errors per
// client (net.ipv4.icmp_ratelimit: a burst of 6, then one a second), so past
// the burst a rejected SYN gets no answer at all and its connect times out. An
// answered failure proves the SYNs reach something that says no; a silent DROP
// never answers.
func (s *addrStats) rejectsLookLikeTimeouts() bool {
	return s.counts[v1alpha1.TCPTimeout] > 0 && (s.counts[v1alpha1.TCPRefused] > 0 || s.counts[v1alpha1.TCPUnreachable] > 0)
}

// rejectionKind is what the rate-limited timeouts really are: refusals or
// unreachable answers, whichever the answered failures mostly were.
func (s *addrStats) rejectionKind() v1alpha1.TCPOutcome {
	if s.counts[v1alpha1.TCPUnreachable] > s.refusedLike() {
		return v1alpha1.TCPUnreachable
	}
	return v1alpha1.TCPRefused
}

// rejectedLike counts the refusals plus, when they are rate-limited REJECTs
// (rejectsLookLikeTimeouts with refusals), the timeouts next to them.
func (s *addrStats) rejectedLike() int {
	if s.rejectsLookLikeTimeouts() && s.rejectionKind() == v1alpha1.TCPRefused {
		return s.refusedLike() + s.counts[v1alpha1.TCPTimeout]
	}
	return s.refusedLike()
}

// dominantFailure is the outcome most failed attempts had, counting
// rate-limited timeouts as the rejections they are; refused wins ties because
// an active rejection is the stronger signal.
func (s *addrStats) dominantFailure() v1alpha1.TCPOutcome {
	n := map[v1alpha1.TCPOutcome]int{
		v1alpha1.TCPRefused:     s.refusedLike(),
		v1alpha1.TCPTimeout:     s.counts[v1alpha1.TCPTimeout],
		v1alpha1.TCPUnreachable: s.counts[v1alpha1.TCPUnreachable],
		v1alpha1.TCPError:       s.counts[v1alpha1.TCPError],
	}
	if s.rejectsLookLikeTimeouts() {
		n[s.rejectionKind()] += n[v1alpha1.TCPTimeout]
		n[v1alpha1.TCPTimeout] = 0
	}
	best := v1alpha1.TCPRefused
	for _, o := range []v1alpha1.TCPOutcome{v1alpha1.TCPTimeout, v1alpha1.TCPUnreachable, v1alpha1.TCPError} {
		if n[o] > n[best] {
			best = o
		}
	}
	return best
}

func (s *addrStats) checkIDs() []string {
	ids := make([]string, 0, len(s.results))
	for _, r := range s.results {
		ids = append(ids, r.ID)
	}
	return ids
}

// port is the port of addr (0 if unparsable).
func (s *addrStats) port() int {
	_, p, err := net.SplitHostPort(s.addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (s *addrStats) ip() string {
	h, _, err := net.SplitHostPort(s.addr)
	if err != nil {
		return s.addr
	}
	return h
}

// podRef is "namespace/pod" of the pod behind addr, "" when it is not a pod.
func (s *addrStats) podRef() string {
	if s.target == nil {
		return ""
	}
	if s.endpoint != nil {
		return qualify(s.target.t.Namespace, s.endpoint.Pod)
	}
	if s.target.isPod() {
		return qualify(s.target.t.Namespace, firstNonEmpty(s.target.t.Pod, s.target.t.Name))
	}
	return ""
}

// node is the node of the pod behind addr, "" when unknown.
func (s *addrStats) node() string {
	if s.endpoint != nil {
		return s.endpoint.Node
	}
	if s.target != nil && s.target.isPod() {
		return s.target.t.Node
	}
	return ""
}

// targetLabel names the target addr belongs to, falling back to the result label.
func (s *addrStats) targetLabel() string {
	if s.target != nil {
		return targetLabel(s.target.t)
	}
	return s.results[0].Target
}

// probedEndpoints are the endpoints that have TCP evidence.
func (tv *targetView) probedEndpoints() []endpointView {
	var out []endpointView
	for _, e := range tv.endpoints {
		if e.stats != nil {
			out = append(out, e)
		}
	}
	return out
}

func (tv *targetView) isService() bool { return tv.t.Kind == "service" }

// isPod: the target is a pod, named as one or by an IP resolution found to be a pod's.
func (tv *targetView) isPod() bool {
	return tv.t.Kind == "pod" || (tv.t.Kind == "ip" && tv.t.Pod != "")
}

// sourceVantage is the Vantage string of checks run in the source pod.
func (ix *index) sourceVantage() string {
	return "pod " + qualify(ix.r.Source.Namespace, ix.r.Source.Pod)
}

// netinfoOf returns the netinfo gathered inside pod ("ns/name").
func (ix *index) netinfoOf(pod string) (netinfoView, bool) {
	if pod == "" {
		return netinfoView{}, false
	}
	v, ok := ix.netinfo["pod "+pod]
	return v, ok
}

// endpointByIP finds a Service endpoint with this IP in any target (for DNS replicas, ICMP).
func (ix *index) endpointByIP(ip string) (*v1alpha1.Target, *v1alpha1.Endpoint) {
	for _, tv := range ix.targets {
		for i := range tv.t.Endpoint {
			if tv.t.Endpoint[i].IP == ip {
				return tv.t, &tv.t.Endpoint[i]
			}
		}
	}
	return nil, nil
}

// targetByIP finds the target one of whose own IPs is ip.
func (ix *index) targetByIP(ip string) *v1alpha1.Target {
	for _, tv := range ix.targets {
		for _, tip := range tv.t.IPs {
			if tip == ip {
				return tv.t
			}
		}
	}
	return nil
}

func targetLabel(t *v1alpha1.Target) string {
	if t.Spec != "" {
		return t.Spec
	}
	return strings.TrimPrefix(t.Kind+"/"+t.Name, "/")
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// normaliseAddr rewrites "ip:port" canonically so "[::1]:80" and textual IPv6 variants match.
func normaliseAddr(a string) string {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(h); ip != nil {
		h = ip.String()
	}
	return net.JoinHostPort(h, p)
}

// qualify returns "ns/name" unless name already carries a namespace or ns is unknown.
func qualify(ns, name string) string {
	if name == "" || ns == "" || strings.Contains(name, "/") {
		return name
	}
	return ns + "/" + name
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
