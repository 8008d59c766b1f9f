//go:build linux

package icmp

import (
	"context"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func probeFrom(t *testing.T, ns *netnstest.NS, s v1alpha1.ICMPSpec) v1alpha1.CheckResult {
	t.Helper()
	if s.ReplyTimeoutMillis == 0 {
		s.ReplyTimeoutMillis = 200
	}
	c := &Check{Enter: ns.Do}
	res := c.Run(context.Background(), v1alpha1.CheckSpec{ID: "i", Check: "icmp", ICMP: &s}, nil)
	if res.ICMP == nil {
		t.Fatalf("%s: %s %s", res.Status, res.Summary, res.Error)
	}
	t.Logf("%s: %s", res.Status, res.Summary)
	if res.ICMP.MTU != nil {
		t.Logf("probes: %+v", res.ICMP.MTU.Probes)
	}
	return res
}

// (c) every link at 1500: the first DF probe at the interface MTU gets through,
// one round trip.
func TestPathFits(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPath(t, 0, 0)
	res := probeFrom(t, p.Client, v1alpha1.ICMPSpec{Address: p.ServerIP, Count: 3, DiscoverMTU: true})
	r := res.ICMP
	if res.Status != v1alpha1.StatusPass || r.Sent != 3 || r.Received != 3 || r.MinMillis <= 0 {
		t.Errorf("echoes: %s %+v", res.Status, r)
	}
	m := r.MTU
	if m.Outcome != v1alpha1.MTUFits || m.PathMTU != 1500 || m.Interface != "eth0" || m.InterfaceMTU != 1500 || len(m.Probes) != 1 {
		t.Errorf("mtu: %+v", m)
	}
}

// (a) the router->server link is 1400 and the router answers frag-needed: the
// check reports 1400 exactly and names the router's address.
func TestFragNeededNamesTheHop(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPath(t, 0, 1400)
	res := probeFrom(t, p.Client, v1alpha1.ICMPSpec{Address: p.ServerIP, Count: 2, DiscoverMTU: true})
	m := res.ICMP.MTU
	if m.Outcome != v1alpha1.MTUFragNeeded || m.PathMTU != 1400 || m.ReportedMTU != 1400 || m.ReportedBy != p.RouterClientIP {
		t.Fatalf("mtu: %+v", m)
	}
	if m.LargestOK != 1400 || m.SmallestLost != 1500 {
		t.Errorf("largest ok %d smallest lost %d", m.LargestOK, m.SmallestLost)
	}
	if first := m.Probes[0]; first.Size != 1500 || first.Outcome != "frag-needed" || first.ReportedBy != p.RouterClientIP {
		t.Errorf("first probe %+v", first)
	}
	if res.Status != v1alpha1.StatusWarn {
		t.Errorf("status %s", res.Status)
	}

	// The frag-needed left the kernel a cached path MTU of 1400 for this
	// destination: a second run is refused locally before anything is sent,
	// and must still report 1400 exactly.
	again := probeFrom(t, p.Client, v1alpha1.ICMPSpec{Address: p.ServerIP, Count: 1, DiscoverMTU: true})
	m2 := again.ICMP.MTU
	if m2.Outcome != v1alpha1.MTULocal || m2.PathMTU != 1400 || m2.ReportedMTU != 1400 || m2.Probes[0].Outcome != "emsgsize" {
		t.Errorf("second run mtu: %+v", m2)
	}
}

// (b) the router drops its own frag-needed messages: large DF packets vanish
// while small ones pass. The binary search pins the boundary to the byte.
func TestBlackHole(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPath(t, 0, 1400)
	for _, chain := range []string{"OUTPUT", "FORWARD"} {
		p.Router.IPTables(t, "-A", chain, "-p", "icmp", "--icmp-type", "fragmentation-needed", "-j", "DROP")
	}
	res := probeFrom(t, p.Client, v1alpha1.ICMPSpec{Address: p.ServerIP, Count: 2, DiscoverMTU: true, ReplyTimeoutMillis: 150})
	m := res.ICMP.MTU
	if m.Outcome != v1alpha1.MTUBlackHole || m.LargestOK != 1400 || m.SmallestLost != 1401 || m.PathMTU != 1400 {
		t.Fatalf("mtu: %+v", m)
	}
	if m.ReportedMTU != 0 || m.ReportedBy != "" {
		t.Errorf("nobody reported an MTU, got %d from %q", m.ReportedMTU, m.ReportedBy)
	}
	// Every lost size was retried once before being called lost.
	lost := map[int]int{}
	for _, pr := range m.Probes {
		if pr.Outcome == "timeout" {
			lost[pr.Size]++
		}
	}
	for size, n := range lost {
		if n != 2 {
			t.Errorf("size %d lost %d times, want exactly 2 (one retry)", size, n)
		}
	}
	if res.Status != v1alpha1.StatusFail {
		t.Errorf("status %s", res.Status)
	}
}

// (d) nobody holds the target address: every echo is lost and the MTU sweep
// says it cannot decide instead of inventing a number.
func TestUnreachableTarget(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPath(t, 0, 0)
	ghost := p.ServerIP[:len(p.ServerIP)-1] + "9" // same /24 as the server, unassigned
	res := probeFrom(t, p.Client, v1alpha1.ICMPSpec{Address: ghost, Count: 2, DiscoverMTU: true})
	r := res.ICMP
	if r.Sent != 2 || r.Received != 0 || res.Status != v1alpha1.StatusFail {
		t.Errorf("echoes %+v status %s", r, res.Status)
	}
	if r.MTU.Outcome != v1alpha1.MTUUnknown || r.MTU.PathMTU != 0 || r.MTU.LargestOK != 0 {
		t.Errorf("mtu %+v", r.MTU)
	}
}

// Two checks at once in one netns share the ICMP traffic of the netns: each must
// only count its own replies.
func TestConcurrentChecksKeepTheirReplies(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	results := make(chan v1alpha1.CheckResult, 2)
	for _, addr := range []string{p.ServerIP, p.ServerIP[:len(p.ServerIP)-1] + "9"} {
		go func() {
			c := &Check{Enter: p.Client.Do}
			results <- c.Run(context.Background(), v1alpha1.CheckSpec{ICMP: &v1alpha1.ICMPSpec{Address: addr, Count: 5, ReplyTimeoutMillis: 200}}, nil)
		}()
	}
	got := map[string]int{}
	for range 2 {
		r := <-results
		got[r.ICMP.Address] = r.ICMP.Received
	}
	if got[p.ServerIP] != 5 || got[p.ServerIP[:len(p.ServerIP)-1]+"9"] != 0 {
		t.Errorf("replies per target %v", got)
	}
}

func TestRejectsNonIPv4(t *testing.T) {
	res := (&Check{}).Run(context.Background(), v1alpha1.CheckSpec{ICMP: &v1alpha1.ICMPSpec{Address: "fd00::1"}}, nil)
	if res.Status != v1alpha1.StatusError || res.Error == "" {
		t.Errorf("%+v", res)
	}
}

// BenchmarkICMPCheckLoopback is a default echo count plus an MTU sweep to the
// loopback of a fresh netns: the healthy path must cost a handful of round trips.
func BenchmarkICMPCheckLoopback(b *testing.B) {
	netnstest.SkipUnlessRoot(b)
	ns := netnstest.New(b)
	c := &Check{Enter: ns.Do}
	spec := v1alpha1.CheckSpec{ICMP: &v1alpha1.ICMPSpec{Address: "127.0.0.1", DiscoverMTU: true}}
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Run(context.Background(), spec, nil); res.Status != v1alpha1.StatusPass {
			b.Fatalf("%s: %s", res.Status, res.Summary)
		}
	}
}
