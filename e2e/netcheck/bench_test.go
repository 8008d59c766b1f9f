//go:build e2e

package netcheck

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

// BenchmarkTimeToVerdict times the real binary from start to exit for
// `kubectl netcheck client --to svc/web` (2 endpoints, one per node: 3 TCP
// checks of 20 connects, 2 ICMP sweeps, DNS, netinfo):
//
//   - fresh-agent: each iteration on a new client pod, so it pays for adding
//     the ephemeral container and waiting for it to run (the pod is created
//     and made Ready outside the timer);
//   - reused-agent: the same pod every time, the agent already running;
//   - node-mode: --mode node, node pods on both nodes, snapshots, namespace
//     scans and a trace per address (its far captures, which stop once the
//     sender is done).
//
// Besides ns/op it reports the median in ms (median-ms), steadier than the
// mean on a shared machine. Iterations are slow, so fix their number:
//
//	make build && go test -tags e2e -run '^$' -bench TimeToVerdict -benchtime 10x ./e2e/netcheck/
//
// On a machine whose load drifts, compare two builds in one run: with
// NETCHECK_BENCH_BASELINE=/path/to/other/kubectl-netcheck each fresh-agent
// iteration also times that binary on its own fresh pod, in alternating order
// outside the timer, and reports its median as baseline-median-ms.
func BenchmarkTimeToVerdict(b *testing.B) {
	c := framework.Get(b)
	ns := c.Namespace(b, "bench", nil)
	createReady(b, c, ns, backend("web-1", "web", lab.Node1.Name), backend("web-2", "web", lab.Node2.Name))
	waitResolvable(b, c, ns, c.CreateService(b, ns, framework.EchoService("web", "web")))
	clients := 0
	newClient := func(b *testing.B) string {
		clients++
		name := fmt.Sprintf("client-%d", clients)
		createReady(b, c, ns, framework.EchoPod(name, lab.Node1.Name, "-idle"))
		return name
	}
	// Not c.Netcheck: it logs every run's whole output into the benchmark's log.
	runBinary := func(b *testing.B, binary, client string, extra ...string) time.Duration {
		cmd := netcheckCmd(c, append([]string{"-n", ns, client, "--to", "svc/web", "-o", "json"}, extra...)...)
		cmd.Path, cmd.Args[0] = binary, binary
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("netcheck on a healthy path: %v\n%s", err, stderr.String())
		}
		return took
	}
	run := func(b *testing.B, client string) time.Duration { return runBinary(b, c.NetcheckPath, client) }

	baseline := os.Getenv("NETCHECK_BENCH_BASELINE")
	b.Run("fresh-agent", func(b *testing.B) {
		var took, base []time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			client := newClient(b)
			if baseline != "" && i%2 == 0 {
				base = append(base, runBinary(b, baseline, newClient(b)))
			}
			b.StartTimer()
			took = append(took, run(b, client))
			if baseline != "" && i%2 == 1 {
				b.StopTimer()
				base = append(base, runBinary(b, baseline, newClient(b)))
				b.StartTimer()
			}
		}
		reportMedian(b, took, "median-ms")
		reportMedian(b, base, "baseline-median-ms")
	})
	b.Run("reused-agent", func(b *testing.B) {
		b.StopTimer()
		client := newClient(b)
		run(b, client) // adds the agent the timed runs reuse
		b.StartTimer()
		var took []time.Duration
		for i := 0; i < b.N; i++ {
			took = append(took, run(b, client))
		}
		reportMedian(b, took, "median-ms")
	})
	b.Run("node-mode", func(b *testing.B) {
		b.StopTimer()
		client := newClient(b)
		b.StartTimer()
		var took []time.Duration
		for i := 0; i < b.N; i++ {
			took = append(took, runBinary(b, c.NetcheckPath, client, "--mode", "node"))
		}
		reportMedian(b, took, "median-ms")
	})
}

func reportMedian(b *testing.B, took []time.Duration, metric string) {
	if len(took) == 0 {
		return
	}
	s := slices.Clone(took)
	slices.Sort(s)
	median := s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	b.ReportMetric(float64(median.Microseconds())/1000, metric)
	b.Logf("%s: %d runs: median %s, min %s, max %s", metric, len(s), median.Round(time.Millisecond), s[0].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}
