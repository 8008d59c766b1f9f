//go:build linux

package dns

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mdns "github.com/miekg/dns"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// dnsLab is a client netns and a server netns with up to three DNS servers on
// addresses .2, .3, .4 of the link's /24.
type dnsLab struct {
	*netnstest.Pair
	prefix string // "10.250.X."
}

var zone = netnstest.StaticZone{"web.default.svc.cluster.local.": {"10.96.1.5", "fd00::1:5"}}

func newLab(t *testing.T) *dnsLab {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	l := &dnsLab{Pair: p, prefix: p.ServerIP[:strings.LastIndex(p.ServerIP, ".")+1]}
	p.Server.IP(t, "addr", "add", l.prefix+"3/24", "dev", "eth0")
	p.Server.IP(t, "addr", "add", l.prefix+"4/24", "dev", "eth0")
	return l
}

func (l *dnsLab) run(t *testing.T, s v1alpha1.DNSSpec) v1alpha1.CheckResult {
	t.Helper()
	if s.QueryTimeoutMillis == 0 {
		s.QueryTimeoutMillis = 300
	}
	c := &Check{Enter: l.Client.Do}
	res := c.Run(context.Background(), v1alpha1.CheckSpec{ID: "d", Check: "dns", DNS: &s}, nil)
	if res.DNS == nil {
		t.Fatalf("%s: %s %s", res.Status, res.Summary, res.Error)
	}
	t.Logf("%s: %s", res.Status, res.Summary)
	return res
}

func TestResolvesLikeTheApplication(t *testing.T) {
	l := newLab(t)
	l.Server.ServeDNS(t, l.prefix+"2:53", zone)
	res := l.run(t, v1alpha1.DNSSpec{Name: "web", ResolvConf: writeResolvConf(t, l.prefix+"2")})

	r := res.DNS
	if d := cmp.Diff([]string{"web.default.svc.cluster.local.", "web.svc.cluster.local.", "web.cluster.local.", "web."}, r.Expansion); d != "" {
		t.Errorf("expansion -want +got\n%s", d)
	}
	if r.Resolved != "web.default.svc.cluster.local." || !cmp.Equal(r.Addresses, []string{"10.96.1.5", "fd00::1:5"}) {
		t.Errorf("app view %q %v", r.Resolved, r.Addresses)
	}
	// 4 names x 1 server x 2 types x 2 transports, every one answered.
	if len(r.Queries) != 16 {
		t.Errorf("%d queries, want 16", len(r.Queries))
	}
	for _, q := range r.Queries {
		want := "NXDOMAIN"
		if q.QName == "web.default.svc.cluster.local." {
			want = "NOERROR"
		}
		if q.Rcode != want || q.Timeout || q.Error != "" || q.Role != RoleResolvConf {
			t.Errorf("query %+v, want rcode %s", q, want)
		}
	}
	if res.Status != v1alpha1.StatusPass {
		t.Errorf("status %s", res.Status)
	}
}

func TestUnresolvableNameFails(t *testing.T) {
	l := newLab(t)
	l.Server.ServeDNS(t, l.prefix+"2:53", zone)
	res := l.run(t, v1alpha1.DNSSpec{Name: "nosuch", ResolvConf: writeResolvConf(t, l.prefix+"2"), Transports: []string{"udp"}})
	if res.Status != v1alpha1.StatusFail || res.DNS.Resolved != "" {
		t.Errorf("status %s resolved %q", res.Status, res.DNS.Resolved)
	}
	if !strings.Contains(res.Summary, "does not resolve") {
		t.Errorf("summary %q", res.Summary)
	}
}

// One replica behind the ClusterIP drops every query: the app may still resolve
// (through the healthy one) but the check fails and names the replica.
func TestSilentReplicaIsNamed(t *testing.T) {
	l := newLab(t)
	l.Server.ServeDNS(t, l.prefix+"2:53", zone)
	l.Server.ServeDNS(t, l.prefix+"3:53", netnstest.Silent{})
	res := l.run(t, v1alpha1.DNSSpec{Name: "web", ResolvConf: writeResolvConf(t, l.prefix+"2"),
		Servers: []v1alpha1.DNSServer{{Address: l.prefix + "3", Name: "kube-system/coredns-b"}}})

	if res.Status != v1alpha1.StatusFail {
		t.Errorf("status %s, want fail", res.Status)
	}
	if res.DNS.Resolved != "web.default.svc.cluster.local." {
		t.Errorf("the healthy resolv.conf server should still resolve: %q", res.DNS.Resolved)
	}
	if !strings.Contains(res.Summary, "kube-system/coredns-b") || !strings.Contains(res.Summary, "timed out on 16/16") {
		t.Errorf("summary %q should name the silent replica", res.Summary)
	}
	transports := map[string]int{}
	for _, q := range res.DNS.Queries {
		if q.Server != l.prefix+"3:53" {
			continue
		}
		transports[q.Transport]++
		if !q.Timeout || q.Rcode != "" || q.ServerName != "kube-system/coredns-b" || q.Role != RoleEndpoint {
			t.Errorf("silent replica query %+v", q)
		}
	}
	if transports["udp"] != 8 || transports["tcp"] != 8 {
		t.Errorf("silent replica queries per transport %v", transports)
	}
}

func TestServfailReplica(t *testing.T) {
	l := newLab(t)
	l.Server.ServeDNS(t, l.prefix+"2:53", zone)
	l.Server.ServeDNS(t, l.prefix+"3:53", netnstest.Rcode(mdns.RcodeServerFailure))
	res := l.run(t, v1alpha1.DNSSpec{Name: "web.default.svc.cluster.local.", ResolvConf: writeResolvConf(t, l.prefix+"2"),
		Servers: []v1alpha1.DNSServer{{Address: l.prefix + "3:53", Name: "coredns-c"}}, Types: []string{"A"}})
	if res.Status != v1alpha1.StatusFail || !strings.Contains(res.Summary, "coredns-c") || !strings.Contains(res.Summary, "answered SERVFAIL on 2/2") {
		t.Errorf("%s %q", res.Status, res.Summary)
	}
}

// A server with no TCP listener answers UDP and refuses TCP: the transport
// matters (large answers and some clients use TCP).
func TestUDPOnlyServerFailsOverTCP(t *testing.T) {
	l := newLab(t)
	l.Server.ServeDNS(t, l.prefix+"2:53", zone)
	l.Server.ServeDNS(t, l.prefix+"4:53", zone, "udp")
	res := l.run(t, v1alpha1.DNSSpec{Name: "web.default.svc.cluster.local.", ResolvConf: writeResolvConf(t, l.prefix+"2"),
		Servers: []v1alpha1.DNSServer{{Address: l.prefix + "4", Name: "udp-only"}}, Types: []string{"A"}})
	for _, q := range res.DNS.Queries {
		if q.Server != l.prefix+"4:53" {
			continue
		}
		switch q.Transport {
		case "udp":
			if q.Rcode != "NOERROR" || !cmp.Equal(q.Answers, []string{"10.96.1.5"}) {
				t.Errorf("udp query %+v", q)
			}
		case "tcp":
			if q.Rcode != "" || q.Timeout || !strings.Contains(q.Error, "connection refused") {
				t.Errorf("tcp query %+v, want connection refused", q)
			}
		}
	}
	if res.Status != v1alpha1.StatusFail || !strings.Contains(res.Summary, "udp-only") || !strings.Contains(res.Summary, "connection refused") {
		t.Errorf("%s %q", res.Status, res.Summary)
	}
}
