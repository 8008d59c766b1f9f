package diagnose

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleKubeProxyRules checks, on the node whose kube-proxy translates the
// client's connections (the source pod's node), the rules of every Service
// target that has ready endpoints. The chain names are computed the way
// kube-proxy computes them, so a missing chain is found without guessing from
// comments. Missing rules (kube-proxy down, rules flushed) and stale rules
// (endpoints in the rules that are no longer ready) are different findings.
func ruleKubeProxyRules(d *diagnosis) {
	n := d.nodes.node(d.ix.r.Source.Node)
	if n == nil || !n.hasFirewall() {
		return
	}
	for _, tv := range d.ix.targets {
		t := tv.t
		if !tv.isService() || t.Port == 0 || len(t.IPs) == 0 || readyEndpoints(t) == 0 {
			continue
		}
		kp := kubeProxyView(n, t)
		switch {
		case kp.missing():
			d.kubeProxyMissing(n, tv, kp)
		case len(kp.stale) > 0 || len(kp.absent) > 0:
			d.kubeProxyStale(n, tv, kp)
		}
	}
}

// kubeProxyRules is what a node's ruleset holds for one Service port.
type kubeProxyRules struct {
	mode string // "iptables", "nftables" or "" (no kube-proxy rules at all)
	// chain is the Service's chain name and table where it should be; found
	// says whether it exists.
	chain, table string
	found        bool
	// dispatch is the KUBE-SERVICES rule sending the ClusterIP:port to the
	// chain (iptables mode), nil when none.
	dispatch *fwRule
	services int // rules in KUBE-SERVICES: how much kube-proxy did program
	// ruled are the endpoints the rules send to; stale those of them that are
	// not ready endpoints any more; absent ready endpoints the rules lack.
	ruled, stale, absent []string
}

func (kp kubeProxyRules) missing() bool {
	return kp.mode == "" || !kp.found || (kp.mode == "iptables" && kp.dispatch == nil)
}

func kubeProxyView(n *nodeView, t *v1alpha1.Target) kubeProxyRules {
	proto := firstNonEmpty(t.Protocol, "TCP")
	family := addrFamily(t.IPs[0])
	if tbl := n.tableNamed(family, "kube-proxy"); tbl != nil {
		kp := kubeProxyRules{mode: "nftables", table: tbl.Family + " kube-proxy",
			chain: nftablesServiceChain(t.Namespace, t.Name, t.PortName, proto)}
		for _, c := range tbl.Chains {
			kp.found = kp.found || c.Name == kp.chain
		}
		return kp
	}
	tbl, services := n.chainIn(family, "nat", "KUBE-SERVICES")
	cluster, local := iptablesServiceChains(t.Namespace, t.Name, t.PortName, proto)
	kp := kubeProxyRules{chain: cluster, table: family + " nat"}
	if services == nil {
		return kp
	}
	kp.mode, kp.table, kp.services = "iptables", tbl.Family+" "+tbl.Name, len(services.Rules)
	var svcChain *v1alpha1.FirewallChain
	for i := range tbl.Chains {
		if c := &tbl.Chains[i]; c.Name == cluster || c.Name == local {
			kp.chain, kp.found, svcChain = c.Name, true, c
		}
	}
	rules := n.firewallRules()
	for _, ip := range t.IPs {
		f := flow{dst: addrOf(ip), dport: t.Port, proto: strings.ToLower(proto)}
		for i := range rules {
			r := rules[i]
			if r.chain != services {
				continue
			}
			verb, target := verdictOf(r.rule)
			if verb == "jump" && (target == cluster || target == local) && matchRule(r.rule, f) != no {
				kp.dispatch = &rules[i]
			}
		}
	}
	if svcChain != nil {
		kp.ruled = ruledEndpoints(tbl, svcChain)
		kp.stale, kp.absent = compareEndpoints(kp.ruled, t)
	}
	return kp
}

// tableNamed finds a table of family by name in the node's latest ruleset.
func (n *nodeView) tableNamed(family, name string) *v1alpha1.FirewallTable {
	info := n.info()
	if info == nil || info.Firewall == nil {
		return nil
	}
	for i := range info.Firewall.Tables {
		if t := &info.Firewall.Tables[i]; t.Name == name && t.Family == family {
			return &info.Firewall.Tables[i]
		}
	}
	return nil
}

// endpointInComment is kube-proxy's "ns/svc:port -> 10.244.1.5:8080" comment on
// the KUBE-SVC rule of each endpoint; dnatTo the KUBE-SEP chain's DNAT target.
var (
	endpointInComment = regexp.MustCompile(`->\s*([0-9a-fA-F.:\[\]]+:\d+)`)
	dnatTo            = regexp.MustCompile(`(?:--to-destination|dnat to)\s+([0-9a-fA-F.:\[\]]+:\d+)`)
)

// ruledEndpoints lists the "ip:port" endpoints a KUBE-SVC chain dispatches to.
func ruledEndpoints(tbl *v1alpha1.FirewallTable, svc *v1alpha1.FirewallChain) []string {
	var out []string
	for i := range svc.Rules {
		r := &svc.Rules[i]
		verb, target := verdictOf(r)
		if (verb != "jump" && verb != "goto") || !strings.HasPrefix(target, "KUBE-SEP-") {
			continue
		}
		if m := endpointInComment.FindStringSubmatch(r.Comment + " " + r.Text); m != nil {
			out = append(out, normaliseAddr(m[1]))
			continue
		}
		for _, c := range tbl.Chains {
			if c.Name != target {
				continue
			}
			for _, sr := range c.Rules {
				if verb, _ := verdictOf(&sr); verb == "dnat" && sr.To != "" {
					out = append(out, normaliseAddr(sr.To))
				} else if m := dnatTo.FindStringSubmatch(sr.Text); m != nil {
					out = append(out, normaliseAddr(m[1]))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// compareEndpoints: rule endpoints that are not ready endpoints (stale), and
// ready endpoints the rules lack (absent).
func compareEndpoints(ruled []string, t *v1alpha1.Target) (stale, absent []string) {
	ready := map[string]bool{}
	for _, ep := range t.Endpoint {
		if ep.Ready {
			ready[normaliseAddr(hostPort(ep.IP, ep.Port))] = true
		}
	}
	inRules := map[string]bool{}
	for _, r := range ruled {
		inRules[r] = true
		if !ready[r] {
			stale = append(stale, r)
		}
	}
	for r := range ready {
		if !inRules[r] {
			absent = append(absent, r)
		}
	}
	sort.Strings(absent)
	return stale, absent
}

func (d *diagnosis) kubeProxyMissing(n *nodeView, tv *targetView, kp kubeProxyRules) {
	t := tv.t
	spn := servicePortName(t.Namespace, t.Name, t.PortName)
	front := frontAddr(t)
	f := newFinding(IDKubeProxyRulesMissing)
	f.Target = targetLabel(t)
	var missing []string
	switch {
	case len(tv.front) > 0 && !anyFailed(tv.front):
		// Every connect through the Service IP was translated: a kube-proxy
		// replacement (IPVS, eBPF) serves it, or kube-proxy rewrote its rules
		// while the snapshot was read. Only a failure makes this a finding.
		return
	case kp.mode == "":
		missing = []string{"no kube-proxy rules at all (no KUBE-SERVICES chain, no kube-proxy nftables table)"}
	case !kp.found:
		missing = append(missing, fmt.Sprintf("chain %s missing from %s", kp.chain, kp.table))
	}
	if kp.mode == "iptables" && kp.dispatch == nil {
		missing = append(missing, fmt.Sprintf("no KUBE-SERVICES rule sends %s to %s", front, kp.chain))
	}
	f.Summary = fmt.Sprintf("%s: node %s has no kube-proxy rules for %s (ClusterIP %s, %s ready): %s", f.Target, n.name,
		spn, front, plural(readyEndpoints(t), "endpoint", "endpoints"), strings.Join(missing, "; "))
	f.Hop = fmt.Sprintf("node %s: kube-proxy rules for %s (%s %s)", n.name, spn, kp.table, kp.chain)
	f.CheckIDs = n.infoIDs()
	f.Evidence = append(f.Evidence, missing...)
	if kp.mode == "iptables" {
		f.Evidence = append(f.Evidence, fmt.Sprintf("KUBE-SERVICES on node %s holds %s for other Services: kube-proxy "+
			"programmed this node, but not this Service (stopped, or failing to sync)", n.name, plural(kp.services, "rule", "rules")))
	}
	f.Evidence = append(f.Evidence, "EndpointSlices list ready endpoints "+readyList(t))
	i := d.add(f)
	for _, s := range tv.front {
		if !d.isClaimed(s.addr) {
			d.amend(i, []string{"via the Service IP " + connectLine(s)}, s.checkIDs())
			d.claim(s.addr, i)
		}
	}
	d.claimTracesTo(i, t.IPs)
}

func (d *diagnosis) kubeProxyStale(n *nodeView, tv *targetView, kp kubeProxyRules) {
	t := tv.t
	spn := servicePortName(t.Namespace, t.Name, t.PortName)
	f := newFinding(IDKubeProxyRulesStale)
	f.Target = targetLabel(t)
	var what []string
	if len(kp.stale) > 0 {
		what = append(what, "they still send to "+strings.Join(kp.stale, ", ")+" (no longer a ready endpoint)")
	}
	if len(kp.absent) > 0 {
		what = append(what, "they lack ready "+strings.Join(kp.absent, ", "))
	}
	f.Summary = fmt.Sprintf("%s: node %s's kube-proxy rules for %s are stale: %s", f.Target, n.name, spn, strings.Join(what, "; "))
	f.Hop = fmt.Sprintf("node %s: kube-proxy rules for %s (%s %s)", n.name, spn, kp.table, kp.chain)
	f.CheckIDs = n.infoIDs()
	f.Evidence = []string{
		fmt.Sprintf("%s dispatches to %s", kp.chain, firstNonEmpty(strings.Join(kp.ruled, ", "), "nothing")),
		"EndpointSlices list ready endpoints " + readyList(t),
	}
	if len(kp.stale) == 0 || !anyFailed(tv.front) {
		// Fewer backends than there could be, or rules that lag the
		// EndpointSlices without a connect landing on a dead endpoint yet.
		f.Severity = v1alpha1.SeverityWarning
	}
	i := d.add(f)
	if len(kp.stale) > 0 {
		d.claimTracesTo(i, t.IPs)
		for _, s := range tv.front {
			if s.failed() > 0 && !d.isClaimed(s.addr) {
				d.amend(i, []string{fmt.Sprintf("via the Service IP %s: about %s of connections land on a stale endpoint",
					connectLine(s), pct(len(kp.stale), len(kp.ruled)))}, s.checkIDs())
				d.claim(s.addr, i)
			}
		}
	}
}

// claimTracesTo claims the unclaimed traces to any of ips for finding i.
func (d *diagnosis) claimTracesTo(i int, ips []string) {
	for _, tv := range d.nodes.traceViews() {
		for _, ip := range ips {
			if addrOf(tv.tr.Destination) == addrOf(ip) && !d.traceClaimed(tv) {
				if hop, k, of := tv.death(); k > 0 {
					line := tv.sightingsLine(hop, k, of)
					if nat := tv.silentNAT(); nat != "" {
						line += "; " + nat
					}
					d.amend(i, []string{line}, nil)
				}
				d.claimTrace(i, tv)
			}
		}
	}
}

func frontAddr(t *v1alpha1.Target) string {
	if len(t.IPs) == 0 {
		return "?"
	}
	return hostPort(t.IPs[0], t.Port)
}

func readyList(t *v1alpha1.Target) string {
	var eps []string
	for _, ep := range t.Endpoint {
		if ep.Ready {
			s := hostPort(ep.IP, ep.Port)
			if ep.Pod != "" {
				s += " (pod " + qualify(t.Namespace, ep.Pod) + ")"
			}
			eps = append(eps, s)
		}
	}
	return strings.Join(eps, ", ")
}

func anyFailed(addrs []*addrStats) bool {
	for _, s := range addrs {
		if s.failed() > 0 {
			return true
		}
	}
	return false
}
