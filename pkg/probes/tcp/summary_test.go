package tcp

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func TestSummarize(t *testing.T) {
	var attempts []v1alpha1.TCPAttempt
	for i := 1; i <= 15; i++ {
		attempts = append(attempts, v1alpha1.TCPAttempt{Seq: i, Outcome: v1alpha1.TCPOK, LatencyMillis: float64(i) / 10})
	}
	for i := 16; i <= 20; i++ {
		attempts = append(attempts, v1alpha1.TCPAttempt{Seq: i, Outcome: v1alpha1.TCPRefused, Errno: "ECONNREFUSED", LatencyMillis: 0.05})
	}
	r := Summarize("10.0.0.1:80", attempts)
	if r.Counts[v1alpha1.TCPOK] != 15 || r.Counts[v1alpha1.TCPRefused] != 5 {
		t.Fatalf("counts %v", r.Counts)
	}
	// Nearest rank over the 15 ok latencies 0.1..1.5: p50 is the 8th, p99 the 15th.
	if r.P50Millis != 0.8 || r.P99Millis != 1.5 {
		t.Errorf("p50 %v p99 %v", r.P50Millis, r.P99Millis)
	}
	if got, want := summaryLine(r), "15/20 ok, 5 refused (ECONNREFUSED), p50 0.8ms p99 1.5ms"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

func TestSummarizeNoAttempts(t *testing.T) {
	r := Summarize("10.0.0.1:80", nil)
	if r.P50Millis != 0 || summaryLine(r) != "0/0 ok" {
		t.Errorf("%+v %q", r, summaryLine(r))
	}
}
