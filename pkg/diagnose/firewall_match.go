package diagnose

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// flow is one connection the run made, as a firewall rule sees its packets:
// pod IP to pod/Service IP, TCP to a port. Firewall rules are judged against
// the flows the run actually sent, so a rule is blamed only for traffic it can
// match.
type flow struct {
	src, dst netip.Addr
	dport    int
	proto    string
}

// tri is a three-valued match: a rule whose conditions cannot all be judged
// from the flow (conntrack state, a statistic, an unknown xt match) maybe matches.
type tri int

const (
	no tri = iota
	maybe
	yes
)

func (t tri) and(o tri) tri {
	if o < t {
		return o
	}
	return t
}

// condition is one normalised match of a rule.
type condition struct {
	key string // saddr, daddr, sport, dport, proto, iif, oif, mark; "" when unknown
	neg bool
	val string
}

// ruleConditions reads a rule's Match strings, or its iptables-like Text when
// the probe gave no Match.
func ruleConditions(r *v1alpha1.FirewallRule) []condition {
	if len(r.Match) > 0 {
		out := make([]condition, 0, len(r.Match))
		for _, m := range r.Match {
			out = append(out, parseMatch(m))
		}
		return out
	}
	return parseIPTablesText(r.Text)
}

// matchKeys maps the spellings of a match key (nft, iptables, shorthand) to one.
var matchKeys = map[string]string{
	"saddr": "saddr", "src": "saddr", "-s": "saddr", "--source": "saddr",
	"daddr": "daddr", "dst": "daddr", "-d": "daddr", "--destination": "daddr",
	"sport": "sport", "--sport": "sport", "--sports": "sport",
	"dport": "dport", "--dport": "dport", "--dports": "dport",
	"proto": "proto", "protocol": "proto", "l4proto": "proto", "-p": "proto", "--protocol": "proto",
	"iifname": "iif", "iif": "iif", "-i": "iif", "--in-interface": "iif",
	"oifname": "oif", "oif": "oif", "-o": "oif", "--out-interface": "oif",
	"mark": "mark", "--mark": "mark",
}

// qualifiers precede a key in nft syntax ("ip saddr", "tcp dport", "meta l4proto").
var qualifiers = map[string]bool{"ip": true, "ip6": true, "tcp": true, "udp": true, "th": true, "meta": true, "sctp": true}

var protocols = map[string]bool{"tcp": true, "udp": true, "icmp": true, "sctp": true, "icmpv6": true}

// parseMatch reads one Match string: "saddr 10.244.0.0/16", "! daddr 10.244.0.0/16",
// "daddr != 10.244.0.0/16", "ip saddr 10.0.0.1", "dport 80", "tcp dport { 80, 443 }",
// "proto tcp", "tcp", "iifname cni0", "mark 0x4000/0x4000".
func parseMatch(s string) condition {
	toks := strings.Fields(strings.NewReplacer("{", " ", "}", " ", ",", " ").Replace(s))
	c := condition{}
	if len(toks) > 0 && toks[0] == "!" {
		c.neg, toks = true, toks[1:]
	}
	if len(toks) == 1 && protocols[strings.ToLower(toks[0])] {
		return condition{key: "proto", neg: c.neg, val: strings.ToLower(toks[0])}
	}
	for len(toks) > 1 && qualifiers[toks[0]] {
		if _, known := matchKeys[toks[1]]; !known {
			break
		}
		toks = toks[1:]
	}
	if len(toks) < 2 {
		return condition{}
	}
	key, ok := matchKeys[toks[0]]
	if !ok {
		return condition{}
	}
	rest := toks[1:]
	if rest[0] == "!=" || rest[0] == "!" {
		c.neg, rest = !c.neg, rest[1:]
	}
	if len(rest) == 0 {
		return condition{}
	}
	if strings.HasPrefix(rest[0], "!") {
		c.neg = !c.neg
		rest[0] = strings.TrimPrefix(rest[0], "!")
	}
	c.key, c.val = key, strings.Join(rest, ",")
	return c
}

// parseIPTablesText reads the conditions of an iptables-save style rule, up to
// its target (-j/-g). Options it does not know become unknown conditions, so
// the rule can only maybe match; -m NAME and comments are not conditions.
func parseIPTablesText(text string) []condition {
	toks := shellFields(text)
	var out []condition
	neg := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "!":
			neg = true
			continue
		case t == "-j" || t == "--jump" || t == "-g" || t == "--goto":
			return out
		case t == "-m" || t == "--match":
			i++ // the module name: its options follow
		case t == "--comment":
			i++
		case t == "-A" || t == "-I":
			i++ // the chain, when a full iptables-save line was given
		case strings.HasPrefix(t, "-"):
			val := ""
			if i+1 < len(toks) && !strings.HasPrefix(toks[i+1], "-") && toks[i+1] != "!" {
				i++
				val = toks[i]
			}
			c := condition{neg: neg, val: val}
			if key, ok := matchKeys[t]; ok && val != "" {
				c.key = key
			}
			out = append(out, c)
		}
		neg = false
	}
	return out
}

// shellFields splits like a shell: double-quoted words (comments) stay whole.
func shellFields(s string) []string {
	var out []string
	var b strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case (r == ' ' || r == '\t') && !inQuote:
			if have {
				out = append(out, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, b.String())
	}
	return out
}

// eval judges one condition against f.
func (c condition) eval(f flow) tri {
	var got tri
	switch c.key {
	case "saddr":
		got = addrIn(f.src, c.val)
	case "daddr":
		got = addrIn(f.dst, c.val)
	case "dport":
		got = portIn(f.dport, c.val)
	case "sport":
		return maybe // ephemeral source ports are not known per connect
	case "proto":
		got = protoIs(f.proto, c.val)
	case "mark":
		// The flows are pod-originated connections to other pods or Services,
		// which nothing marks (kube-proxy marks only traffic it will masquerade:
		// from outside the pod network, or a pod reaching itself via its Service).
		got = markMatches(0, c.val)
	default:
		return maybe // interfaces, conntrack state, statistic, unknown matches
	}
	if got == maybe {
		return maybe
	}
	if c.neg {
		if got == yes {
			return no
		}
		return yes
	}
	return got
}

// matchRule judges all of a rule's conditions against f.
func matchRule(r *v1alpha1.FirewallRule, f flow) tri {
	out := yes
	for _, c := range ruleConditions(r) {
		if out = out.and(c.eval(f)); out == no {
			return no
		}
	}
	return out
}

func addrIn(ip netip.Addr, val string) tri {
	if !ip.IsValid() {
		return maybe
	}
	any := false
	for _, v := range strings.Split(val, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		any = true
		if p, err := netip.ParsePrefix(v); err == nil {
			if p.Contains(ip) {
				return yes
			}
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return maybe // a set reference (@name) or a range
		}
		if a.Unmap() == ip {
			return yes
		}
	}
	if !any {
		return maybe
	}
	return no
}

func portIn(port int, val string) tri {
	if port == 0 {
		return maybe
	}
	any := false
	for _, v := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
		any = true
		lo, hi, ok := strings.Cut(v, "-")
		if !ok {
			lo, hi, ok = strings.Cut(v, ":")
		}
		a, err := strconv.Atoi(lo)
		if err != nil {
			return maybe
		}
		b := a
		if ok {
			if b, err = strconv.Atoi(hi); err != nil {
				return maybe
			}
		}
		if port >= a && port <= b {
			return yes
		}
	}
	if !any {
		return maybe
	}
	return no
}

var protoNumbers = map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "132": "sctp"}

func protoIs(proto, val string) tri {
	v := strings.ToLower(strings.TrimSpace(val))
	if n, ok := protoNumbers[v]; ok {
		v = n
	}
	switch {
	case proto == "":
		return maybe
	case v == "all" || v == "0":
		return yes
	case !protocols[v]:
		return maybe
	case v == proto:
		return yes
	}
	return no
}

// markMatches judges "VALUE[/MASK]" against a packet mark.
func markMatches(mark uint64, val string) tri {
	v, m, hasMask := strings.Cut(strings.TrimSpace(val), "/")
	want, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return maybe
	}
	mask := uint64(0xffffffff)
	if hasMask {
		if mask, err = strconv.ParseUint(m, 0, 32); err != nil {
			return maybe
		}
	}
	if mark&mask == want {
		return yes
	}
	return no
}

// verdictOf is the rule's verdict, lower case ("drop", "jump KUBE-SVC-X"),
// read from its iptables-like Text ("-j MASQUERADE") when the probe left it empty.
func verdictOf(r *v1alpha1.FirewallRule) (verb, chain string) {
	v := strings.TrimSpace(r.Verdict)
	if v == "" {
		toks := shellFields(r.Text)
		for i := 0; i+1 < len(toks); i++ {
			switch toks[i] {
			case "-j", "--jump":
				switch t := toks[i+1]; strings.ToUpper(t) {
				case "ACCEPT", "DROP", "REJECT", "RETURN", "MASQUERADE", "SNAT", "DNAT", "REDIRECT":
					v = strings.ToLower(t)
				default:
					v = "jump " + t
				}
			case "-g", "--goto":
				v = "goto " + toks[i+1]
			}
		}
	}
	verb, chain, _ = strings.Cut(v, " ")
	return strings.ToLower(verb), strings.TrimSpace(chain)
}
