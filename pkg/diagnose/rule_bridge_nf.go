package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleBridgeNFCallOff reports a node where bridged packets skip iptables
// (net.bridge.bridge-nf-call-iptables=0) while kube-proxy translates Service
// IPs with iptables. It breaks exactly one path: a pod to a Service whose
// chosen endpoint is on the same node's bridge (the reply is bridged back
// untranslated). A fault when that path failed in this run, a warning
// otherwise.
func ruleBridgeNFCallOff(d *diagnosis) {
	for _, n := range d.nodes.withInfo() {
		v, ok := n.sysctl("net.bridge.bridge-nf-call-iptables")
		if !ok || v != "0" || !hasKubeProxyIPTables(n) {
			continue
		}
		f := newFinding(IDBridgeNFCallOff)
		f.Target = nodeLabel(n)
		f.Summary = fmt.Sprintf("node %s: net.bridge.bridge-nf-call-iptables=0 with kube-proxy in iptables mode: "+
			"Service traffic between its own pods is never translated back", n.name)
		f.Hop = fmt.Sprintf("node %s bridge %s (bridged replies skip iptables)", n.name, bridgeName(n))
		f.CheckIDs = n.infoIDs()
		f.Evidence = []string{fmt.Sprintf("node %s%s: net.bridge.bridge-nf-call-iptables=0; KUBE-SERVICES present in its nat table",
			n.name, phaseNote(n))}
		var broken []*addrStats
		for _, tv := range d.ix.targets {
			if !tv.isService() || d.ix.r.Source.Node != n.name {
				continue
			}
			local := endpointsOn(tv, n.name)
			if len(local) == 0 {
				continue
			}
			for _, s := range tv.front {
				if s.failed() > 0 && !d.isClaimed(s.addr) {
					broken = append(broken, s)
					f.Target = s.targetLabel()
					f.Evidence = append(f.Evidence, fmt.Sprintf("the client and endpoints %s share node %s's bridge",
						strings.Join(local, ", "), n.name))
				}
			}
		}
		if len(broken) > 0 {
			f.Severity = v1alpha1.SeverityFault
			f.Summary = fmt.Sprintf("%s: connections through the Service IP fail on node %s: net.bridge.bridge-nf-call-iptables=0, "+
				"so replies from endpoints on the same bridge are never translated back", f.Target, n.name)
		}
		i := d.add(f)
		for _, s := range broken {
			d.amend(i, []string{"via the Service IP " + connectLine(s)}, s.checkIDs())
			d.claim(s.addr, i)
		}
		for _, s := range broken {
			d.claimTracesTo(i, []string{s.ip()})
		}
		if len(broken) > 0 {
			d.dnsThroughServiceIP(i)
		}
	}
}

// dnsThroughServiceIP adds the DNS queries to a Service IP (the resolv.conf
// nameserver) that timed out to finding i: the same untranslated replies when
// the chosen CoreDNS replica shares the bridge.
func (d *diagnosis) dnsThroughServiceIP(i int) {
	for k := range d.ix.r.Results {
		res := &d.ix.r.Results[k]
		if res.DNS == nil || res.Vantage != d.ix.sourceVantage() {
			continue
		}
		lost, total := map[string]int{}, map[string]int{}
		for _, q := range res.DNS.Queries {
			if q.Role != "resolv.conf" {
				continue
			}
			total[q.Server]++
			if q.Timeout {
				lost[q.Server]++
			}
		}
		for server, n := range lost {
			if d.isClaimed(dnsClaimKey(res, server)) {
				continue
			}
			d.amend(i, []string{fmt.Sprintf("DNS through the Service IP %s: %d of %d queries timed out: the same "+
				"untranslated replies whenever the chosen CoreDNS replica shares the bridge", server, n, total[server])},
				[]string{res.ID})
			d.claim(dnsClaimKey(res, server), i)
		}
	}
}

func hasKubeProxyIPTables(n *nodeView) bool {
	_, c := n.chainIn("", "nat", "KUBE-SERVICES")
	return c != nil
}

// endpointsOn lists the target's ready endpoints on node, "ip:port (pod ns/name)".
func endpointsOn(tv *targetView, node string) []string {
	var out []string
	for _, e := range tv.endpoints {
		if e.ep.Node == node && e.ep.Ready {
			s := hostPort(e.ep.IP, e.ep.Port)
			if e.ep.Pod != "" {
				s += " (pod " + qualify(tv.t.Namespace, e.ep.Pod) + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

// bridgeName is the node's pod bridge ("cni0"), "?" when unknown.
func bridgeName(n *nodeView) string {
	for _, l := range pathLinks(n) {
		if l.Kind == "bridge" {
			return l.Name
		}
	}
	return "?"
}
