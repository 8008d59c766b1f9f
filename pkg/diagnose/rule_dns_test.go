package diagnose

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// The DNS world of these tests: kube-dns 10.96.0.10 (resolv.conf) backed by two
// CoreDNS replicas queried directly, one per node.
const (
	svcName  = "web.default.svc.cluster.local"
	coreDNS1 = "10.244.0.3"
	coreDNS2 = "10.244.1.3"
	core1    = "kube-system/coredns-5d78c-abcde (node k8slab-node1)"
	core2    = "kube-system/coredns-5d78c-fghij (node k8slab-node2)"
)

func kubeDNS(transport, qname, rcode string) v1alpha1.DNSQuery {
	return fx.Query(fx.KubeDNSIP, "kube-dns", "resolv.conf", transport, qname, rcode, fx.WebClusterIP)
}

func replica(n int, transport, qname, rcode string) v1alpha1.DNSQuery {
	addr, name := coreDNS1, core1
	if n == 2 {
		addr, name = coreDNS2, core2
	}
	return fx.Query(addr, name, "endpoint", transport, qname, rcode, fx.WebClusterIP)
}

// perTransport repeats queries for udp and tcp.
func perTransport(q func(transport string) []v1alpha1.DNSQuery) []v1alpha1.DNSQuery {
	return append(q("udp"), q("tcp")...)
}

func TestRuleDNSServers(t *testing.T) {
	dnsTarget := []v1alpha1.Target{fx.DNSTarget(svcName)}
	kubeDNSService := v1alpha1.Target{Spec: "svc/kube-dns:dns", Kind: "service", Namespace: "kube-system", Name: "kube-dns",
		IPs: []string{fx.KubeDNSIP}, Port: 53, Endpoint: []v1alpha1.Endpoint{
			{IP: coreDNS1, Port: 53, Ready: true, Pod: "coredns-1", Node: fx.Node1},
			{IP: coreDNS2, Port: 53, Ready: true, Pod: "coredns-2", Node: fx.Node2}}}
	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		res     v1alpha1.CheckResult
		want    []want
	}{{
		name: "replica 2 times out; the ClusterIP view shows only 2 of 4 failing",
		res: fx.DNS("dns-1", svcName, svcName, []string{svcName}, perTransport(func(tr string) []v1alpha1.DNSQuery {
			return []v1alpha1.DNSQuery{kubeDNS(tr, svcName, "NOERROR"), kubeDNS(tr, svcName, ""),
				replica(1, tr, svcName, "NOERROR"), replica(2, tr, svcName, "")}
		})...),
		want: []want{{
			id: IDDNSReplicaFailing, hop: "DNS replica kube-system/coredns-5d78c-fghij (node k8slab-node2) at 10.244.1.3",
			summary: []string{"dns/web.default.svc.cluster.local: DNS replica kube-system/coredns-5d78c-fghij (node k8slab-node2) " +
				"at 10.244.1.3 fails 2 of 2 queries while 10.244.0.3 answers"},
			evidence: []string{"replica kube-system/coredns-5d78c-fghij (node k8slab-node2) at 10.244.1.3: 2 of 2 failed (2 timeout)",
				"replica kube-system/coredns-5d78c-abcde (node k8slab-node1) at 10.244.0.3: 2/2 answered",
				"via the resolv.conf nameserver 10.96.0.10: 2 of 4 queries failed (the Service IP view alone hides which replica)"},
			checkIDs: []string{"dns-1"},
		}},
	}, {
		name: "a stale replica says NXDOMAIN for a name the other resolves",
		res: fx.DNS("dns-1", svcName, svcName, []string{svcName}, kubeDNS("udp", svcName, "NOERROR"),
			replica(1, "udp", svcName, "NOERROR"), replica(2, "udp", svcName, "NXDOMAIN")),
		want: []want{{id: IDDNSReplicaFailing, summary: []string{"fails 1 of 1 queries"},
			evidence: []string{"1 NXDOMAIN answers for names another replica resolves"}}},
	}, {
		name:    "replica names without a node get it from a resolved endpoint",
		targets: []v1alpha1.Target{fx.DNSTarget(svcName), kubeDNSService},
		res: func() v1alpha1.CheckResult {
			r := fx.DNS("dns-1", svcName, svcName, []string{svcName}, replica(1, "udp", svcName, "NOERROR"), replica(2, "udp", svcName, "SERVFAIL"))
			r.DNS.Queries[1].ServerName = ""
			return r
		}(),
		want: []want{{id: IDDNSReplicaFailing, hop: "DNS replica kube-system/coredns-2 on node k8slab-node2 at 10.244.1.3",
			evidence: []string{"1 of 1 failed (1 SERVFAIL)"}}},
	}, {
		name: "every server fails",
		res: fx.DNS("dns-1", svcName, "", []string{svcName}, perTransport(func(tr string) []v1alpha1.DNSQuery {
			return []v1alpha1.DNSQuery{kubeDNS(tr, svcName, ""), replica(1, tr, svcName, "SERVFAIL"), replica(2, tr, svcName, "")}
		})...),
		want: []want{{id: IDDNSAllServersFailing, hop: "DNS servers 10.96.0.10, 10.244.0.3, 10.244.1.3",
			summary:  []string{"every DNS server fails (3 servers)"},
			evidence: []string{"kube-dns at 10.96.0.10: 2 of 2 failed (2 timeout)", "at 10.244.0.3: 2 of 2 failed (2 SERVFAIL)"}}},
	}, {
		name: "the kube-dns Service IP fails while both replicas answer: kube-proxy",
		res: fx.DNS("dns-1", svcName, "", []string{svcName}, perTransport(func(tr string) []v1alpha1.DNSQuery {
			return []v1alpha1.DNSQuery{kubeDNS(tr, svcName, ""), replica(1, tr, svcName, "NOERROR"), replica(2, tr, svcName, "NOERROR")}
		})...),
		want: []want{{id: IDDNSServiceIPFailing, hop: "DNS Service IP 10.96.0.10 (kube-proxy rules on node k8slab-node1)",
			summary:  []string{"nameserver 10.96.0.10 fails while all 2 DNS replicas answer directly"},
			evidence: []string{"resolv.conf nameserver kube-dns at 10.96.0.10: 2 of 2 failed (2 timeout)", "2/2 answered"}}},
	}, {
		// CoreDNS without an upstream (this lab, air-gapped clusters) SERVFAILs the
		// search list's last name "web." on every server; that shared failure must
		// not hide a Service IP that fails every name the replicas do answer.
		name: "the Service IP fails while replicas answer, and every server fails a non-cluster name",
		res: fx.DNS("dns-1", svcName, "", []string{svcName, "web"}, perTransport(func(tr string) []v1alpha1.DNSQuery {
			return []v1alpha1.DNSQuery{kubeDNS(tr, svcName, ""), kubeDNS(tr, "web", ""),
				replica(1, tr, svcName, "NOERROR"), replica(1, tr, "web", "SERVFAIL"),
				replica(2, tr, svcName, "NOERROR"), replica(2, tr, "web", "SERVFAIL")}
		})...),
		want: []want{{id: IDDNSServiceIPFailing, hop: "DNS Service IP 10.96.0.10 (kube-proxy rules on node k8slab-node1)",
			summary: []string{"nameserver 10.96.0.10 fails while all 2 DNS replicas answer directly"}}},
	}, {
		name: "all answer: nothing to say",
		res: fx.DNS("dns-1", svcName, svcName, []string{svcName}, kubeDNS("udp", svcName, "NOERROR"),
			replica(1, "udp", svcName, "NOERROR"), replica(2, "udp", svcName, "NOERROR")),
	}} {
		targets := dnsTarget
		if tc.targets != nil {
			targets = tc.targets
		}
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(targets, tc.res), tc.want...) })
	}
}

func TestRuleDNSTransport(t *testing.T) {
	dnsTarget := []v1alpha1.Target{fx.DNSTarget(svcName)}
	truncated := kubeDNS("udp", svcName, "NOERROR")
	truncated.Truncated = true
	for _, tc := range []struct {
		name string
		res  v1alpha1.CheckResult
		want []want
	}{{
		name: "TCP 53 blocked everywhere, UDP fine: a warning",
		res: fx.DNS("dns-1", svcName, svcName, []string{svcName}, kubeDNS("udp", svcName, "NOERROR"), kubeDNS("tcp", svcName, ""),
			replica(1, "udp", svcName, "NOERROR"), replica(1, "tcp", svcName, "")),
		want: []want{{id: IDDNSTCPFailing, hop: "TCP 53 to kube-dns at 10.96.0.10, kube-system/coredns-5d78c-abcde (node k8slab-node1) at 10.244.0.3",
			summary:  []string{"DNS over TCP fails while UDP works (2 servers)"},
			evidence: []string{"10.96.0.10: udp 1/1 answered, tcp 1 of 1 failed (1 timeout)"}}},
	}, {
		name: "TCP blocked and a UDP answer was truncated: fault",
		res:  fx.DNS("dns-1", svcName, svcName, []string{svcName}, truncated, kubeDNS("tcp", svcName, "")),
		want: []want{{id: IDDNSTCPFailing, severity: v1alpha1.SeverityFault,
			evidence: []string{"a UDP answer came back truncated (TC bit)"}}},
	}, {
		name: "UDP blocked, TCP fine: fault, and not also 'every server fails'",
		res: fx.DNS("dns-1", svcName, svcName, []string{svcName}, kubeDNS("udp", svcName, ""), kubeDNS("tcp", svcName, "NOERROR"),
			replica(1, "udp", svcName, ""), replica(1, "tcp", svcName, "NOERROR"), replica(2, "udp", svcName, ""), replica(2, "tcp", svcName, "NOERROR")),
		want: []want{{id: IDDNSUDPFailing, summary: []string{"DNS over UDP fails while TCP works (3 servers)"},
			evidence: []string{"10.244.1.3: tcp 1/1 answered, udp 1 of 1 failed (1 timeout)"}}},
	}, {
		// As on the lab cluster: CoreDNS has no upstream, so the search list's
		// last, absolute name SERVFAILs at every server over UDP. That shared
		// failure must not hide the TCP split (it did: no finding at all).
		name: "TCP blocked everywhere while every server SERVFAILs the out-of-cluster name over UDP",
		res:  fx.DNS("dns-1", svcName, svcName, []string{svcName, "web."}, noUpstream("tcp")...),
		want: []want{{id: IDDNSTCPFailing, summary: []string{"DNS over TCP fails while UDP works (3 servers)"},
			evidence: []string{"10.96.0.10: udp 1 of 2 failed (1 SERVFAIL), tcp 2 of 2 failed (2 timeout)",
				"not counted, as every server failed them over both transports: web. A"}}},
	}, {
		// The same with UDP blocked: the run was inconclusive (check-failed-unexplained).
		name: "UDP blocked everywhere while every server SERVFAILs the out-of-cluster name over TCP",
		res:  fx.DNS("dns-1", svcName, "", []string{svcName, "web."}, noUpstream("udp")...),
		want: []want{{id: IDDNSUDPFailing, summary: []string{"DNS over UDP fails while TCP works (3 servers)"},
			evidence: []string{"10.244.0.3: tcp 1 of 2 failed (1 SERVFAIL), udp 2 of 2 failed (2 timeout)"}}},
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(dnsTarget, tc.res), tc.want...) })
	}
}

// noUpstream are the queries for svcName and the absolute "web." to kube-dns
// and both replicas, with the blocked transport timing out and the other
// answering svcName and SERVFAILing "web." (no upstream to ask).
func noUpstream(blocked string) []v1alpha1.DNSQuery {
	var out []v1alpha1.DNSQuery
	for _, tr := range []string{"udp", "tcp"} {
		name, web := "NOERROR", "SERVFAIL"
		if tr == blocked {
			name, web = "", ""
		}
		out = append(out, kubeDNS(tr, svcName, name), kubeDNS(tr, "web.", web),
			replica(1, tr, svcName, name), replica(1, tr, "web.", web),
			replica(2, tr, svcName, name), replica(2, tr, "web.", web))
	}
	return out
}

func TestRuleDNSNames(t *testing.T) {
	shopExpansion := []string{"web.shop.default.svc.cluster.local", "web.shop.svc.cluster.local", "web.shop.cluster.local", "web.shop"}
	nx := func(names ...string) []v1alpha1.DNSQuery {
		var out []v1alpha1.DNSQuery
		for _, n := range names {
			out = append(out, kubeDNS("udp", n, "NXDOMAIN"))
		}
		return out
	}
	external := "api.partner.internal"
	extExpansion := []string{external + ".default.svc.cluster.local", external + ".svc.cluster.local", external + ".cluster.local", external}
	var extQueries []v1alpha1.DNSQuery
	for _, typ := range []string{"A", "AAAA"} {
		for i, n := range extExpansion {
			q := kubeDNS("udp", n, "NXDOMAIN")
			if i == len(extExpansion)-1 {
				q = kubeDNS("udp", n, "NOERROR")
			}
			q.Type = typ
			extQueries = append(extQueries, q)
		}
	}
	for _, tc := range []struct {
		name string
		res  v1alpha1.CheckResult
		want []want
	}{{
		name: "web.shop: no Service web in namespace shop",
		res:  fx.DNS("dns-1", "web.shop", "", shopExpansion, nx(shopExpansion...)...),
		want: []want{{id: IDDNSNXDomain, hop: `name "web.shop" (search list of pod default/client)`,
			summary: []string{`dns/web.shop: "web.shop" does not exist: NXDOMAIN for all 4 names tried`},
			evidence: []string{"names tried: web.shop.default.svc.cluster.local, web.shop.svc.cluster.local, web.shop.cluster.local, web.shop",
				"answers: 4 NXDOMAIN, 0 failed, 0 NOERROR", `"web.shop" means Service "web" in namespace "shop"`,
				"resolv.conf: nameservers [10.96.0.10], search [default.svc.cluster.local svc.cluster.local cluster.local], ndots:5"},
			checkIDs: []string{"dns-1"}}},
	}, {
		name: "a bare name from another namespace",
		res:  fx.DNS("dns-1", "billing", "", []string{"billing.default.svc.cluster.local"}, nx("billing.default.svc.cluster.local")...),
		want: []want{{id: IDDNSNXDomain, evidence: []string{"a Service in another namespace needs billing.NAMESPACE"}}},
	}, {
		name: "no nameserver in resolv.conf",
		res: func() v1alpha1.CheckResult {
			r := fx.DNS("dns-1", svcName, "", nil)
			r.DNS.ResolvConf.Nameservers = nil
			return r
		}(),
		want: []want{{id: IDDNSNoNameserver, hop: "pod default/client /etc/resolv.conf",
			summary: []string{"pod default/client /etc/resolv.conf has no nameserver line"}, evidence: []string{"nameservers []"}}},
	}, {
		name: "ndots:5 storm: three NXDOMAINs before the real name",
		res:  fx.DNS("dns-1", external, external, extExpansion, extQueries...),
		want: []want{{id: IDDNSNdotsExpansion, hop: "pod default/client /etc/resolv.conf",
			summary: []string{"3 search-list names fail before api.partner.internal resolves (ndots:5)"},
			evidence: []string{`"api.partner.internal" has 2 dots, fewer than ndots:5`,
				"each lookup costs 8 queries (4 names x 2 types) instead of 2"},
			fix: `Use "api.partner.internal."`}},
	}, {
		name: "a fully qualified name wastes nothing",
		res:  fx.DNS("dns-1", svcName+".", svcName+".", []string{svcName + "."}, kubeDNS("udp", svcName+".", "NOERROR")),
	}} {
		t.Run(tc.name, func(t *testing.T) { diagnoseAndCheck(t, fx.NewReport(nil, tc.res), tc.want...) })
	}
}
