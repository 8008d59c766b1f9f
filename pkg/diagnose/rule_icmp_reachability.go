package diagnose

import (
	"fmt"
	"net"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleICMPReachability reads the echo part of ICMP checks. No reply while TCP
// to the same IP connects is only information (ClusterIPs do not answer ping);
// an ICMP unreachable error with no TCP success means the host is unreachable,
// which joins the TCP unreachable finding for the same IP when there is one.
func ruleICMPReachability(d *diagnosis) {
	for i := range d.ix.r.Results {
		res := &d.ix.r.Results[i]
		if res.ICMP == nil || res.Status == v1alpha1.StatusError || res.Status == v1alpha1.StatusSkip {
			continue
		}
		ic := res.ICMP
		if ic.Sent == 0 || ic.Received > 0 {
			continue
		}
		ip := canonicalIP(ic.Address)
		echo := fmt.Sprintf("%s: 0 of %d echo replies", ic.Address, ic.Sent)
		if ok := tcpSuccessTo(d.ix, ip); ok != nil {
			f := newFinding(IDICMPBlockedTCPOK)
			f.Target = firstNonEmpty(ok.targetLabel(), res.Target)
			f.Summary = fmt.Sprintf("%s: %s does not answer ping, but TCP to %s connects", f.Target, ic.Address, ok.addr)
			f.Hop = ic.Address
			f.CheckIDs = appendUnique([]string{res.ID}, ok.checkIDs()...)
			f.Evidence = []string{echo, "TCP " + connectLine(ok)}
			if t := d.ix.targetByIP(ip); t != nil && t.Kind == "service" {
				f.Evidence = append(f.Evidence, ic.Address+" is a Service ClusterIP: it is virtual and only the "+
					"Service ports are forwarded (kube-proxy iptables/nftables mode)")
			}
			d.claim("echo:"+ip, d.add(f)) // where an ICMP trace to ip shows the echoes died
			continue
		}
		unreach := unreachableErrors(ic.Errors)
		if len(unreach) == 0 {
			continue // plain loss: TCP rules judge reachability
		}
		evidence := append([]string{echo}, unreach...)
		if prior, ok := d.claimed["host:"+ip]; ok {
			d.amend(prior, evidence, []string{res.ID})
			continue
		}
		f := newFinding(IDHostUnreachable)
		f.Target = res.Target
		if t := d.ix.targetByIP(ip); t != nil {
			f.Target = targetLabel(t)
		}
		f.Summary = fmt.Sprintf("%s: %s is unreachable (%s)", f.Target, ic.Address, unreach[0])
		f.Hop = fmt.Sprintf("between %s and %s", d.ix.sourceDesc(), ic.Address)
		f.Evidence = evidence
		f.CheckIDs = []string{res.ID}
		d.claim("host:"+ip, d.add(f))
	}
}

// tcpSuccessTo returns TCP evidence to ip with at least one connect, if any.
func tcpSuccessTo(ix *index, ip string) *addrStats {
	for _, s := range ix.addrs {
		if s.ok() > 0 && canonicalIP(s.ip()) == ip {
			return s
		}
	}
	return nil
}

func unreachableErrors(errs []string) []string {
	var out []string
	for _, e := range errs {
		if strings.Contains(strings.ToLower(e), "unreachable") {
			out = append(out, e)
		}
	}
	return out
}

func canonicalIP(s string) string {
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return ip.String()
	}
	return s
}
