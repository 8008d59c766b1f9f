package diagnose

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// fwRule is one firewall rule of a node with where it sits and how many
// packets it counted while the run's probes were sent.
type fwRule struct {
	node  *nodeView
	table *v1alpha1.FirewallTable
	chain *v1alpha1.FirewallChain
	rule  *v1alpha1.FirewallRule
	// delta is the packet counter's growth between the node's before and after
	// snapshots; deltaKnown is false without both snapshots of the rule.
	delta      uint64
	deltaKnown bool
}

// where renders "ip filter FORWARD (handle 12)".
func (r fwRule) where() string {
	return fmt.Sprintf("%s %s %s (handle %d)", r.table.Family, r.table.Name, r.chain.Name, r.rule.Handle)
}

// describe renders the rule for evidence: where, its text, comment and counter.
func (r fwRule) describe() string {
	s := fmt.Sprintf("%s: %q", r.where(), ruleText(r.rule))
	if r.rule.Comment != "" && !strings.Contains(r.rule.Text, r.rule.Comment) {
		s += fmt.Sprintf(" /* %s */", r.rule.Comment)
	}
	if r.deltaKnown {
		s += fmt.Sprintf(", counter +%d packets during the run (%d in total)", r.delta, r.rule.Packets)
	} else {
		s += fmt.Sprintf(", %d packets counted", r.rule.Packets)
	}
	return s
}

func ruleText(r *v1alpha1.FirewallRule) string {
	if r.Text != "" {
		return r.Text
	}
	parts := append([]string(nil), r.Match...)
	if r.Verdict != "" {
		parts = append(parts, r.Verdict)
	}
	return strings.Join(parts, " ")
}

// ruleKey identifies a rule across the before and after snapshots.
func ruleKey(t *v1alpha1.FirewallTable, c *v1alpha1.FirewallChain, r *v1alpha1.FirewallRule) string {
	return fmt.Sprintf("%s/%s/%s/%d", t.Family, t.Name, c.Name, r.Handle)
}

// firewallRules lists every rule of the node's latest snapshot with its
// counter delta from the before snapshot.
func (n *nodeView) firewallRules() []fwRule {
	info := n.info()
	if info == nil || info.Firewall == nil {
		return nil
	}
	before := map[string]uint64{}
	haveBefore := n.after != nil && n.before != nil && n.before.NodeInfo.Firewall != nil
	if haveBefore {
		fw := n.before.NodeInfo.Firewall
		for ti := range fw.Tables {
			t := &fw.Tables[ti]
			for ci := range t.Chains {
				c := &t.Chains[ci]
				for ri := range c.Rules {
					before[ruleKey(t, c, &c.Rules[ri])] = c.Rules[ri].Packets
				}
			}
		}
	}
	var out []fwRule
	for ti := range info.Firewall.Tables {
		t := &info.Firewall.Tables[ti]
		for ci := range t.Chains {
			c := &t.Chains[ci]
			for ri := range c.Rules {
				r := &c.Rules[ri]
				fr := fwRule{node: n, table: t, chain: c, rule: r}
				if old, ok := before[ruleKey(t, c, r)]; ok && r.Packets >= old {
					fr.delta, fr.deltaKnown = r.Packets-old, true
				}
				out = append(out, fr)
			}
		}
	}
	return out
}

// chainIn finds chain in the node's latest ruleset in a table called table
// of family ("ip", "ip6"; "" for any). kube-proxy programs ip6 tables even on
// an IPv4-only cluster, and which family's table comes first depends on which
// iptables binary ran first on the node.
func (n *nodeView) chainIn(family, table, chain string) (*v1alpha1.FirewallTable, *v1alpha1.FirewallChain) {
	info := n.info()
	if info == nil || info.Firewall == nil {
		return nil, nil
	}
	for ti := range info.Firewall.Tables {
		t := &info.Firewall.Tables[ti]
		if t.Name != table || (family != "" && t.Family != family) {
			continue
		}
		for ci := range t.Chains {
			if t.Chains[ci].Name == chain {
				return t, &t.Chains[ci]
			}
		}
	}
	return nil, nil
}

// hasFirewall: the node's snapshot has a readable ruleset.
func (n *nodeView) hasFirewall() bool {
	info := n.info()
	return info != nil && info.Firewall != nil && len(info.Firewall.Tables) > 0
}

// reached is a rule with a terminal verdict that a flow reaches in a walk.
type reached struct {
	fwRule
	// certain: every condition on the way there matched for sure.
	certain bool
}

// walker follows a flow through a table's chains the way netfilter does:
// rules in order, jump/goto into user chains, return back out, stopping at
// the first verdict that ends the hook.
type walker struct {
	node  *nodeView
	table *v1alpha1.FirewallTable
	rules map[*v1alpha1.FirewallRule]fwRule
	f     flow
	hits  []reached
}

// walkHook follows f through every base chain of hook (e.g. "postrouting") in
// tables of type kind ("nat", "filter"), returning the terminal rules reached.
func (n *nodeView) walkHook(hook, kind string, f flow) []reached {
	info := n.info()
	if info == nil || info.Firewall == nil {
		return nil
	}
	byRule := map[*v1alpha1.FirewallRule]fwRule{}
	for _, r := range n.firewallRules() {
		byRule[r.rule] = r
	}
	var out []reached
	for ti := range info.Firewall.Tables {
		t := &info.Firewall.Tables[ti]
		if !familySees(t.Family, f.dst) {
			continue
		}
		for ci := range t.Chains {
			c := &t.Chains[ci]
			if !isBaseChain(t, c, hook, kind) {
				continue
			}
			w := &walker{node: n, table: t, rules: byRule, f: f}
			w.walk(c.Name, true, 0) // the hits are what counts here
			out = append(out, w.hits...)
		}
	}
	return out
}

// familySees: a table of family sees packets to addr: ip tables IPv4, ip6
// tables IPv6, inet both. An unknown address is seen by all three; bridge,
// arp and netdev tables are not on the routed path walked here.
func familySees(family string, addr netip.Addr) bool {
	switch family {
	case "inet":
		return true
	case "ip":
		return !addr.IsValid() || addr.Is4()
	case "ip6":
		return !addr.IsValid() || !addr.Is4()
	}
	return false
}

// addrFamily is the table family whose rules see packets to ip.
func addrFamily(ip string) string {
	if a := addrOf(ip); a.IsValid() && !a.Is4() {
		return "ip6"
	}
	return "ip"
}

// isBaseChain: c hooks hook in a table of type kind. iptables-nft base chains
// carry the hook; without it the iptables chain and table names decide.
func isBaseChain(t *v1alpha1.FirewallTable, c *v1alpha1.FirewallChain, hook, kind string) bool {
	if c.Hook != "" {
		return strings.EqualFold(c.Hook, hook) && (c.Type == "" || strings.EqualFold(c.Type, kind) ||
			(kind == "filter" && c.Type == ""))
	}
	return strings.EqualFold(c.Name, hook) && strings.EqualFold(t.Name, kind)
}

// walk follows the flow through chain. ends: every flow entering the chain
// this way ends inside it (a verdict that surely matches was reached), so no
// rule after the call site is reachable; mayEnd: some verdict that may match
// was reached. Rules after a verdict that only maybe matches (a maybe-RETURN,
// a jump into a chain that may end) are reached uncertainly.
func (w *walker) walk(chain string, certain bool, depth int) (ends, mayEnd bool) {
	if depth > 32 {
		return false, false
	}
	var c *v1alpha1.FirewallChain
	for i := range w.table.Chains {
		if w.table.Chains[i].Name == chain {
			c = &w.table.Chains[i]
		}
	}
	if c == nil {
		return false, false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		m := matchRule(r, w.f)
		if m == no {
			continue
		}
		sure := certain && m == yes
		verb, target := verdictOf(r)
		switch verb {
		case "jump":
			subEnds, subMay := w.walk(target, sure, depth+1)
			if subEnds && m == yes {
				return true, true
			}
			if subEnds || subMay {
				mayEnd, certain = true, false
			}
		case "goto":
			subEnds, subMay := w.walk(target, sure, depth+1)
			if m == yes { // the flow never comes back here: the target's return is this chain's
				return subEnds, mayEnd || subMay
			}
			mayEnd, certain = mayEnd || subEnds || subMay, false
		case "return":
			if m == yes {
				return false, mayEnd
			}
			certain = false
		case "accept", "drop", "reject", "masquerade", "snat", "dnat", "redirect", "queue":
			w.hits = append(w.hits, reached{fwRule: w.rules[r], certain: sure})
			if m == yes {
				return true, true
			}
			mayEnd, certain = true, false
		}
	}
	return false, mayEnd
}
