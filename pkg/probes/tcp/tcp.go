//go:build linux

// Package tcp is the probe's TCP connect check (the seeds' `telnet host port`,
// repeated): it connects Count times with bounded concurrency and classifies
// every attempt, so an intermittent fault (5 of 20 refused) shows as a rate and
// not as a lucky pass.
package tcp

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// Defaults for fields a TCPSpec leaves at zero.
const (
	DefaultCount          = 20
	DefaultConcurrency    = 5
	DefaultConnectTimeout = time.Second
)

// Check is the tcp check. The zero value runs in the current network namespace.
type Check struct {
	// Enter, when set, wraps every socket open so the node mode can open sockets
	// inside a target netns (lock the thread, setns, run fn, switch back).
	Enter func(fn func() error) error
}

var _ probes.Check = (*Check)(nil)

// Name implements probes.Check.
func (*Check) Name() string { return v1alpha1.CheckTCP }

// Requirements implements probes.Check: a plain connect needs no privilege.
func (*Check) Requirements() probes.Requirements { return probes.Requirements{} }

// Run implements probes.Check.
func (c *Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	if spec.TCP == nil || spec.TCP.Address == "" {
		return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: "tcp check needs tcp.address (ip:port)"}
	}
	s := *spec.TCP
	count := orDefault(s.Count, DefaultCount)
	conc := min(orDefault(s.Concurrency, DefaultConcurrency), count)
	timeout := DefaultConnectTimeout
	if s.ConnectTimeoutMillis > 0 {
		timeout = time.Duration(s.ConnectTimeoutMillis) * time.Millisecond
	}

	attempts := make([]v1alpha1.TCPAttempt, count)
	seqs := make(chan int)
	var wg sync.WaitGroup
	var doneMu sync.Mutex
	done := 0
	for range conc {
		wg.Go(func() {
			for seq := range seqs {
				attempts[seq] = c.attempt(ctx, s.Address, timeout, seq+1)
				doneMu.Lock()
				done++
				if progress != nil && count >= 10 && done%(count/4) == 0 {
					progress(fmt.Sprintf("%d/%d connects", done, count))
				}
				doneMu.Unlock()
			}
		})
	}
send:
	for i := range count {
		select {
		case seqs <- i:
		case <-ctx.Done():
			attempts = attempts[:i] // the check ran out of time: report what ran
			break send
		}
	}
	close(seqs)
	wg.Wait()

	res := Summarize(s.Address, attempts)
	out := v1alpha1.CheckResult{TCP: &res, Summary: summaryLine(res)}
	out.Status = v1alpha1.StatusPass
	if len(attempts) == 0 || res.Counts[v1alpha1.TCPOK] != len(attempts) || len(attempts) < count {
		out.Status = v1alpha1.StatusFail
	}
	if len(attempts) < count {
		out.Summary += fmt.Sprintf(" (stopped after %d of %d: %v)", len(attempts), count, ctx.Err())
	}
	return out
}

// attempt makes one connect and classifies it.
func (c *Check) attempt(ctx context.Context, addr string, timeout time.Duration, seq int) v1alpha1.TCPAttempt {
	var r Outcome
	dial := func() error { r = Connect(ctx, addr, timeout); return nil }
	if c.Enter != nil {
		if err := c.Enter(dial); err != nil {
			return v1alpha1.TCPAttempt{Seq: seq, Outcome: v1alpha1.TCPError, Errno: err.Error()}
		}
	} else {
		_ = dial()
	}
	return v1alpha1.TCPAttempt{Seq: seq, Outcome: r.Outcome, Errno: r.Errno,
		LatencyMillis: millis(r.Latency), LocalAddr: r.LocalAddr}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
