package tcp

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// outcomeOrder fixes the order failures are listed in a summary.
var outcomeOrder = []v1alpha1.TCPOutcome{v1alpha1.TCPRefused, v1alpha1.TCPTimeout,
	v1alpha1.TCPReset, v1alpha1.TCPUnreachable, v1alpha1.TCPError}

// Summarize counts outcomes and computes latency percentiles over ok attempts.
func Summarize(addr string, attempts []v1alpha1.TCPAttempt) v1alpha1.TCPResult {
	res := v1alpha1.TCPResult{Address: addr, Attempts: attempts, Counts: map[v1alpha1.TCPOutcome]int{}}
	var ok []float64
	for _, a := range attempts {
		res.Counts[a.Outcome]++
		if a.Outcome == v1alpha1.TCPOK {
			ok = append(ok, a.LatencyMillis)
		}
	}
	slices.Sort(ok)
	res.P50Millis = percentile(ok, 50)
	res.P99Millis = percentile(ok, 99)
	return res
}

// percentile is the nearest-rank percentile of sorted values (0 for none).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// summaryLine renders "15/20 ok, 5 refused (ECONNREFUSED), p50 0.3ms p99 1.2ms".
func summaryLine(r v1alpha1.TCPResult) string {
	total := len(r.Attempts)
	parts := []string{fmt.Sprintf("%d/%d ok", r.Counts[v1alpha1.TCPOK], total)}
	for _, o := range outcomeOrder {
		n := r.Counts[o]
		if n == 0 {
			continue
		}
		part := fmt.Sprintf("%d %s", n, o)
		if e := errnos(r.Attempts, o); e != "" {
			part += " (" + e + ")"
		}
		parts = append(parts, part)
	}
	line := strings.Join(parts, ", ")
	if r.Counts[v1alpha1.TCPOK] > 0 {
		line += fmt.Sprintf(", p50 %s p99 %s", fmtMillis(r.P50Millis), fmtMillis(r.P99Millis))
	}
	return line
}

// errnos lists the distinct errnos seen for one outcome, in first-seen order.
func errnos(attempts []v1alpha1.TCPAttempt, o v1alpha1.TCPOutcome) string {
	var seen []string
	for _, a := range attempts {
		if a.Outcome == o && a.Errno != "" && !slices.Contains(seen, a.Errno) {
			seen = append(seen, a.Errno)
		}
	}
	return strings.Join(seen, ", ")
}

func fmtMillis(ms float64) string {
	if ms < 10 {
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fms", ms)
}
