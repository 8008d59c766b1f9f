package nodeinfo

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/nftables"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// iptablesTables are the tables iptables-nft creates (in the ip and ip6
// families); their rules read best the way iptables-save prints them.
var iptablesTables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// readFirewall dumps the nftables ruleset of the namespace open at nsFd (0:
// the caller's own) over
// one netlink socket: every table and chain, and the rules of the chains that
// pass the prefix filter (base chains always keep their policy). A chain whose
// rules cannot be read is noted and skipped; the rest stays valid.
func readFirewall(nsFd int, prefixes []string) *v1alpha1.Firewall {
	fw := &v1alpha1.Firewall{Backend: "nftables", Tables: []v1alpha1.FirewallTable{}}
	opts := []nftables.ConnOption{nftables.AsLasting()}
	if nsFd != 0 {
		opts = append(opts, nftables.WithNetNSFd(nsFd))
	}
	conn, err := nftables.New(opts...)
	if err != nil {
		fw.Error = fmt.Sprintf("open nftables netlink socket: %v", err)
		return fw
	}
	defer conn.CloseLasting()
	tables, err := conn.ListTables()
	if err != nil {
		fw.Error = fmt.Sprintf("list nftables tables (needs CAP_NET_ADMIN): %v", err)
		return fw
	}
	chains, err := conn.ListChains()
	if err != nil {
		fw.Error = fmt.Sprintf("list nftables chains: %v", err)
		return fw
	}
	type tableKey struct {
		fam  nftables.TableFamily
		name string
	}
	index := map[tableKey]int{}
	for _, t := range tables {
		index[tableKey{t.Family, t.Name}] = len(fw.Tables)
		fw.Tables = append(fw.Tables, v1alpha1.FirewallTable{Family: familyName(t.Family), Name: t.Name,
			Chains: []v1alpha1.FirewallChain{}})
	}
	var errs []string
	for _, ch := range chains {
		i, ok := index[tableKey{ch.Table.Family, ch.Table.Name}]
		if !ok {
			continue // created after the table list
		}
		base := ch.Hooknum != nil
		keep := keepChain(ch.Name, prefixes)
		if !keep && !base {
			continue
		}
		fc := chainOf(ch)
		if keep {
			rules, err := conn.GetRules(ch.Table, ch)
			if err != nil {
				errs = append(errs, fmt.Sprintf("rules of %s %s %s: %v", familyName(ch.Table.Family), ch.Table.Name, ch.Name, err))
			}
			style := iptablesTables[ch.Table.Name] &&
				(ch.Table.Family == nftables.TableFamilyIPv4 || ch.Table.Family == nftables.TableFamilyIPv6)
			for _, r := range rules {
				v := renderRule(ch.Table.Family, r.Exprs, r.UserData, style)
				fc.Rules = append(fc.Rules, v1alpha1.FirewallRule{Handle: r.Handle, Text: v.Text, Verdict: v.Verdict,
					To: v.To, Comment: v.Comment, Match: v.Match, Packets: v.Packets, Bytes: v.Bytes})
			}
		}
		fw.Tables[i].Chains = append(fw.Tables[i].Chains, fc)
	}
	fw.Error = strings.Join(errs, "; ")
	return fw
}

func keepChain(name string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func chainOf(ch *nftables.Chain) v1alpha1.FirewallChain {
	fc := v1alpha1.FirewallChain{Name: ch.Name, Type: string(ch.Type)}
	if ch.Hooknum != nil {
		fc.Hook = hookName(ch.Table.Family, *ch.Hooknum)
	}
	if ch.Priority != nil {
		fc.Priority = int(*ch.Priority)
	}
	if ch.Policy != nil {
		fc.Policy = "accept"
		if *ch.Policy == nftables.ChainPolicyDrop {
			fc.Policy = "drop"
		}
	}
	return fc
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyARP:
		return "arp"
	case nftables.TableFamilyBridge:
		return "bridge"
	case nftables.TableFamilyNetdev:
		return "netdev"
	}
	return fmt.Sprintf("family %d", f)
}

// hookName names a base chain's hook; the numbers mean different hooks per family.
func hookName(f nftables.TableFamily, h nftables.ChainHook) string {
	var names []string
	switch f {
	case nftables.TableFamilyNetdev:
		names = []string{"ingress", "egress"}
	case nftables.TableFamilyARP:
		names = []string{"input", "output", "forward"}
	default:
		names = []string{"prerouting", "input", "forward", "output", "postrouting", "ingress"}
	}
	if int(h) < len(names) {
		return names[h]
	}
	return fmt.Sprintf("hook %d", h)
}

// legacyTables reads the x_tables tables of the legacy iptables backend from
// procNet (ip_tables_names, ip6_tables_names): rules there are invisible to
// nftables, so their presence must be said rather than read as "no rules".
func legacyTables(procNet string) []string {
	var out []string
	for _, f := range []struct{ file, family string }{{"ip_tables_names", "ip"}, {"ip6_tables_names", "ip6"}} {
		data, err := os.ReadFile(procNet + "/" + f.file)
		if err != nil {
			continue // the module is not loaded: no legacy tables
		}
		for _, name := range strings.Fields(string(data)) {
			out = append(out, f.family+" "+name)
		}
	}
	return out
}
