//go:build linux

package tcp

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func run(t *testing.T, ns *netnstest.NS, s v1alpha1.TCPSpec) v1alpha1.CheckResult {
	t.Helper()
	c := &Check{Enter: ns.Do}
	res := c.Run(context.Background(), v1alpha1.CheckSpec{ID: "t", Check: "tcp", TCP: &s}, nil)
	if res.TCP == nil {
		t.Fatalf("no tcp evidence: %+v", res)
	}
	t.Logf("%s: %s", res.Status, res.Summary)
	if testing.Verbose() {
		t.Logf("%+v", res.TCP.Attempts)
	}
	return res
}

func TestConnectOKToPeerListener(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	addr := p.Server.ListenTCP(t, p.ServerIP+":0")

	res := run(t, p.Client, v1alpha1.TCPSpec{Address: addr, Count: 10, Concurrency: 3})
	if res.Status != v1alpha1.StatusPass || res.TCP.Counts[v1alpha1.TCPOK] != 10 {
		t.Fatalf("want 10 ok and pass, got %s %v", res.Status, res.TCP.Counts)
	}
	for _, a := range res.TCP.Attempts {
		host, _, _ := net.SplitHostPort(a.LocalAddr)
		if host != p.ClientIP {
			t.Errorf("attempt %d local addr %q, want from %s (the client netns)", a.Seq, a.LocalAddr, p.ClientIP)
		}
	}
	if res.TCP.P50Millis <= 0 || res.TCP.P99Millis < res.TCP.P50Millis {
		t.Errorf("percentiles p50=%v p99=%v", res.TCP.P50Millis, res.TCP.P99Millis)
	}
	if !strings.HasPrefix(res.Summary, "10/10 ok, p50 ") {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestRefusedWithoutListener(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	res := run(t, p.Client, v1alpha1.TCPSpec{Address: p.ServerIP + ":8080", Count: 5})
	assertAll(t, res, v1alpha1.TCPRefused, "ECONNREFUSED")
	if res.Summary != "0/5 ok, 5 refused (ECONNREFUSED)" {
		t.Errorf("summary %q", res.Summary)
	}
}

func TestIPTablesRejectIsRefused(t *testing.T) {
	for _, with := range []string{"tcp-reset", "icmp-port-unreachable"} {
		t.Run(with, func(t *testing.T) {
			netnstest.SkipUnlessRoot(t)
			p := netnstest.NewPair(t)
			addr := p.Server.ListenTCP(t, p.ServerIP+":8080")
			p.Server.IPTables(t, "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "REJECT", "--reject-with", with)
			res := run(t, p.Client, v1alpha1.TCPSpec{Address: addr, Count: 5})
			assertAll(t, res, v1alpha1.TCPRefused, "ECONNREFUSED")
		})
	}
}

func TestDropIsTimeout(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	addr := p.Server.ListenTCP(t, p.ServerIP+":8080")
	p.Server.IPTables(t, "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP")
	res := run(t, p.Client, v1alpha1.TCPSpec{Address: addr, Count: 4, Concurrency: 4, ConnectTimeoutMillis: 200})
	assertAll(t, res, v1alpha1.TCPTimeout, "ETIMEDOUT")
	for _, a := range res.TCP.Attempts {
		if a.LatencyMillis < 190 || a.LatencyMillis > 1000 {
			t.Errorf("attempt %d took %.1fms, want about the 200ms connect timeout", a.Seq, a.LatencyMillis)
		}
	}
}

// A REJECT that hits a quarter of SYNs must show as a refusal rate, and the check
// must fail even though most connects work.
func TestRandomRejectShowsAsRate(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	addr := p.Server.ListenTCP(t, p.ServerIP+":8080")
	p.Server.IPTables(t, "-A", "INPUT", "-p", "tcp", "--dport", "8080", "--syn",
		"-m", "statistic", "--mode", "random", "--probability", "0.25", "-j", "REJECT", "--reject-with", "tcp-reset")
	const n = 200
	res := run(t, p.Client, v1alpha1.TCPSpec{Address: addr, Count: n, Concurrency: 5})
	refused, ok := res.TCP.Counts[v1alpha1.TCPRefused], res.TCP.Counts[v1alpha1.TCPOK]
	// Binomial(200, 0.25): mean 50, sd 6.1; 20..80 is about 5 sd either side.
	if refused < n*10/100 || refused > n*40/100 {
		t.Errorf("refused %d of %d, want 10%%..40%%", refused, n)
	}
	if ok+refused != n {
		t.Errorf("counts %v: every attempt must be ok or refused", res.TCP.Counts)
	}
	if res.Status != v1alpha1.StatusFail {
		t.Errorf("status %s: a partial refusal rate is a fail", res.Status)
	}
}

func TestNoRouteIsUnreachable(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	// The client netns only knows its own /24; 10.249.0.0/16 has no route, so the
	// kernel fails the connect locally and nothing is sent.
	res := run(t, p.Client, v1alpha1.TCPSpec{Address: "10.249.0.1:80", Count: 3})
	assertAll(t, res, v1alpha1.TCPUnreachable, "ENETUNREACH")
}

func assertAll(t *testing.T, res v1alpha1.CheckResult, want v1alpha1.TCPOutcome, errno string) {
	t.Helper()
	if res.Status != v1alpha1.StatusFail {
		t.Errorf("status %s, want fail", res.Status)
	}
	if len(res.TCP.Attempts) == 0 {
		t.Fatal("no attempts")
	}
	for _, a := range res.TCP.Attempts {
		if a.Outcome != want || a.Errno != errno {
			t.Errorf("attempt %d: %s %s, want %s %s", a.Seq, a.Outcome, a.Errno, want, errno)
		}
	}
	if res.TCP.Counts[want] != len(res.TCP.Attempts) {
		t.Errorf("counts %v", res.TCP.Counts)
	}
}
