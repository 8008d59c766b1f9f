package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
)

// probeCall is one exec of the probe in an agent, as pod and node mode make it.
type probeCall struct {
	agent launch.Agent
	// vantage labels the agent's events in progress lines and warnings.
	vantage string
	// where names the agent in the timeout error.
	where   string
	timeout time.Duration
	// vantageOf stamps each result with where it ran; nil means vantage.
	vantageOf func(v1alpha1.CheckResult) string
	// onEvent, when set, sees every event as it arrives.
	onEvent func(v1alpha1.Event)
	// stdin, when set, is streamed to the probe's stdin.
	stdin io.Reader
}

// stream runs req in the call's agent with one exec (the probe runs the checks
// in parallel) and collects the results as they arrive. Every event goes to
// -o ndjson and the progress as it comes, so a slow check shows its progress
// while the others finish.
func (r *run) stream(ctx context.Context, c probeCall, req v1alpha1.ProbeRequest) ([]v1alpha1.CheckResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode probe request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var (
		mu      sync.Mutex
		results []v1alpha1.CheckResult
	)
	exec := kube.ExecRequest{
		Namespace: c.agent.Namespace, Pod: c.agent.Pod, Container: c.agent.Container,
		Command: c.agent.RunCommand(base64.StdEncoding.EncodeToString(body)),
		Stdin:   c.stdin,
	}
	err = kube.StreamEvents(ctx, r.deps.Executor, exec, func(raw []byte, ev v1alpha1.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if r.cfg.Events != nil {
			if _, err := r.cfg.Events.Write(append(raw, '\n')); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
		}
		r.probeVersionCheck(c.vantage, ev)
		r.deps.Progress.Event(c.vantage, ev)
		if c.onEvent != nil {
			c.onEvent(ev)
		}
		if ev.Type == v1alpha1.EventResult && ev.Result != nil {
			res := *ev.Result
			res.Vantage = c.vantage
			if c.vantageOf != nil {
				res.Vantage = c.vantageOf(res)
			}
			results = append(results, res)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("the probe in %s did not finish within %s (raise --timeout): %w", c.where, c.timeout, err)
		}
		return nil, err
	}
	return results, nil
}
