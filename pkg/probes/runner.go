package probes

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// DefaultParallelism bounds concurrent checks when the request does not say.
const DefaultParallelism = 8

// defaultCheckTimeout bounds a check whose spec gives no timeout, so one stuck
// check can never hold the whole run.
const defaultCheckTimeout = 30 * time.Second

// Registry maps check names to checks.
type Registry map[string]Check

// Names lists the registered check names, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Emit receives each event of a run, in order; calls are serialized by the runner.
type Emit func(v1alpha1.Event)

// Run executes every check of req with bounded parallelism and streams events:
// hello first, then started/progress/result per check as they happen, done last.
func (r Registry) Run(ctx context.Context, req v1alpha1.ProbeRequest, emit Emit) {
	var mu sync.Mutex
	send := func(ev v1alpha1.Event) {
		mu.Lock()
		defer mu.Unlock()
		emit(ev)
	}

	hello := v1alpha1.NewEvent(v1alpha1.EventHello)
	host, _ := os.Hostname()
	hello.Hello = &v1alpha1.Hello{ProbeVersion: version.Version, Hostname: host, PID: os.Getpid(), Checks: r.Names()}
	send(hello)

	parallel := req.Parallelism
	if parallel <= 0 {
		parallel = DefaultParallelism
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, spec := range req.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			send(r.runOne(ctx, spec, send))
		}()
	}
	wg.Wait()

	done := v1alpha1.NewEvent(v1alpha1.EventDone)
	done.Message = fmt.Sprintf("%d checks", len(req.Checks))
	send(done)
}

// runOne runs a single spec and returns its result event; it never panics out.
func (r Registry) runOne(ctx context.Context, spec v1alpha1.CheckSpec, send Emit) (out v1alpha1.Event) {
	started := time.Now()
	result := v1alpha1.CheckResult{Status: v1alpha1.StatusError}
	defer func() {
		if p := recover(); p != nil {
			result = v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: fmt.Sprintf("check panicked: %v", p)}
		}
		result.ID, result.Check, result.Target = spec.ID, spec.Check, spec.Target
		result.Started = started.UTC()
		result.DurationMillis = float64(time.Since(started).Microseconds()) / 1000
		if result.Summary == "" && result.Error != "" {
			result.Summary = result.Error
		}
		out = v1alpha1.NewEvent(v1alpha1.EventResult)
		out.CheckID = spec.ID
		out.Result = &result
	}()

	if ctx.Err() != nil {
		result.Error = "not started: " + ctx.Err().Error()
		return
	}
	check, ok := r[spec.Check]
	if !ok {
		result.Error = fmt.Sprintf("this probe (version %s) has no check %q", version.Version, spec.Check)
		return
	}
	timeout := defaultCheckTimeout
	if spec.TimeoutMillis > 0 {
		timeout = time.Duration(spec.TimeoutMillis) * time.Millisecond
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	ev := v1alpha1.NewEvent(v1alpha1.EventStarted)
	ev.CheckID, ev.Message = spec.ID, spec.Check+" "+spec.Target
	send(ev)
	progress := func(msg string) {
		p := v1alpha1.NewEvent(v1alpha1.EventProgress)
		p.CheckID, p.Message = spec.ID, msg
		send(p)
	}
	result = check.Run(cctx, spec, progress)
	return
}
