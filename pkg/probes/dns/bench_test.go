//go:build linux

package dns

import (
	"context"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// BenchmarkDNSCheck runs a default check (4 search names x A/AAAA x udp/tcp = 16
// queries) against a server on the loopback of a fresh netns (resolv.conf cannot
// name a port, so the server needs :53 to itself): the cost of the matrix, Enter
// included, on a healthy resolver.
func BenchmarkDNSCheck(b *testing.B) {
	netnstest.SkipUnlessRoot(b)
	ns := netnstest.New(b)
	ns.ServeDNS(b, "127.0.0.1:53", zone)
	spec := v1alpha1.CheckSpec{ID: "b", Check: "dns", DNS: &v1alpha1.DNSSpec{Name: "web", ResolvConf: writeResolvConf(b, "127.0.0.1")}}
	c := &Check{Enter: ns.Do}
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Run(context.Background(), spec, nil); res.Status != v1alpha1.StatusPass {
			b.Fatalf("%s: %s", res.Status, res.Summary)
		}
	}
}
