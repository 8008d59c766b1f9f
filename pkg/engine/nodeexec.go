package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
)

// nodeExec runs req in a node agent with one exec (the probe runs the checks
// in parallel) and returns the results. Pod-view checks run inside
// req.Netns keep that pod's vantage, so they read as in pod mode; the node's
// own checks get the node's. onEvent, when set, sees every event as it
// arrives (a far trace half says when its capture started).
func (r *run) nodeExec(ctx context.Context, agent launch.Agent, req v1alpha1.ProbeRequest, onEvent func(v1alpha1.Event)) ([]v1alpha1.CheckResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode probe request: %w", err)
	}
	timeout := r.cfg.Timeout
	for _, c := range req.Checks {
		// A capture window must not be cut by a short --timeout.
		timeout = max(timeout, time.Duration(c.TimeoutMillis)*time.Millisecond+5*time.Second)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	nodeVantage := plan.NodeVantage(agent.Node)
	var (
		mu      sync.Mutex
		results []v1alpha1.CheckResult
	)
	exec := kube.ExecRequest{
		Namespace: agent.Namespace, Pod: agent.Pod, Container: agent.Container,
		Command: launch.RunCommand(base64.StdEncoding.EncodeToString(body)),
	}
	err = kube.StreamEvents(ctx, r.deps.Executor, exec, func(raw []byte, ev v1alpha1.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if r.cfg.Events != nil {
			if _, err := r.cfg.Events.Write(append(raw, '\n')); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
		}
		r.probeVersionCheck(nodeVantage, ev)
		r.deps.Progress.Event(nodeVantage, ev)
		if onEvent != nil {
			onEvent(ev)
		}
		if ev.Type == v1alpha1.EventResult && ev.Result != nil {
			res := *ev.Result
			res.Vantage = nodeVantage
			if req.Netns != nil && plan.PodViewCheck(res.Check) {
				res.Vantage = req.Netns.Label
			}
			results = append(results, res)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("the probe in node pod %s/%s (node %s) did not finish within %s: %w", agent.Namespace, agent.Pod, agent.Node, timeout, err)
		}
		return nil, err
	}
	return results, nil
}

// failed records checks that could not run on a node as error results, so the
// report shows the gap instead of losing the checks.
func failed(checks []v1alpha1.CheckSpec, vantage string, err error) []v1alpha1.CheckResult {
	var out []v1alpha1.CheckResult
	for _, c := range checks {
		out = append(out, v1alpha1.CheckResult{
			ID: c.ID, Check: c.Check, Target: c.Target, Vantage: vantage,
			Status: v1alpha1.StatusError, Summary: "could not run: " + err.Error(), Error: err.Error(),
		})
	}
	return out
}
