package engine

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
)

// nodeExec runs req in a node agent with one exec (the probe runs the checks
// in parallel) and returns the results. Pod-view checks run inside
// req.Netns keep that pod's vantage, so they read as in pod mode; the node's
// own checks get the node's. onEvent, when set, sees every event as it
// arrives (a far trace half says when its capture started); stdin, when set,
// is streamed to the probe (a far half learns when to stop).
func (r *run) nodeExec(ctx context.Context, agent launch.Agent, req v1alpha1.ProbeRequest, stdin io.Reader, onEvent func(v1alpha1.Event)) ([]v1alpha1.CheckResult, error) {
	timeout := r.cfg.Timeout
	for _, c := range req.Checks {
		// A capture window must not be cut by a short --timeout.
		timeout = max(timeout, time.Duration(c.TimeoutMillis)*time.Millisecond+5*time.Second)
	}
	nodeVantage := plan.NodeVantage(agent.Node)
	return r.stream(ctx, probeCall{
		agent: agent, vantage: nodeVantage, timeout: timeout, onEvent: onEvent, stdin: stdin,
		where: fmt.Sprintf("node pod %s/%s (node %s)", agent.Namespace, agent.Pod, agent.Node),
		vantageOf: func(res v1alpha1.CheckResult) string {
			if req.Netns != nil && plan.PodViewCheck(res.Check) {
				return req.Netns.Label
			}
			return nodeVantage
		},
	}, req)
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
