package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/resolve"
)

// maxFollowups bounds the agents started in the second round at once.
const maxFollowups = 4

// probe runs req in a pod's ephemeral agent with one exec and collects the
// results, each stamped with the pod as where it ran.
func (r *run) probe(ctx context.Context, agent launch.Agent, req v1alpha1.ProbeRequest) ([]v1alpha1.CheckResult, error) {
	vantage := plan.Vantage(agent.Namespace, agent.Pod)
	return r.stream(ctx, probeCall{agent: agent, vantage: vantage, where: vantage, timeout: r.cfg.Timeout}, req)
}

// Retrying an exec into an agent that does not run yet: the first retries come
// quickly, since the container usually runs a few hundred milliseconds after
// the patch; once the kubelet reports it running, a few more are allowed for
// the runtime's view to catch up, then the exec error stands.
const (
	startRetryFirst  = 50 * time.Millisecond
	startRetryMax    = 100 * time.Millisecond
	retriesAfterSeen = 5
)

// probeStarting is probe for an agent that may still be starting. The kubelet
// reports a started container at its next relist, up to a second after the
// runtime started it, but exec works from that start: so the exec goes out at
// once and is retried while the kubelet says the container is not there yet.
// The Startup watch decides only the cases exec cannot: an agent that will
// never run (image missing: its AgentError ends the retries) or one that does
// not run within --timeout.
func (r *run) probeStarting(ctx context.Context, agent launch.Agent, req v1alpha1.ProbeRequest) ([]v1alpha1.CheckResult, error) {
	if agent.Startup == nil {
		return r.probe(ctx, agent, req)
	}
	wait, afterRunning := startRetryFirst, 0
	starting := agent.Startup.Done() // nil once the kubelet reported the agent running
	for {
		results, err := r.probe(ctx, agent, req)
		if !kube.ContainerNotStarted(err) {
			return results, err
		}
		if starting == nil {
			if afterRunning++; afterRunning > retriesAfterSeen {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-starting:
			if serr := agent.Startup.Err(); serr != nil {
				return nil, serr // says why (image missing, timeout), which "container not found" does not
			}
			starting, wait = nil, startRetryFirst // running: retry at once
		case <-time.After(wait):
			wait = min(2*wait, startRetryMax)
		}
	}
}

// followUp runs the second round: for each pod that refused connections, its own
// netinfo from its own agent. A pod we cannot enter does not fail the run; its
// result says why, so the report shows the gap.
func (r *run) followUp(ctx context.Context) []v1alpha1.CheckResult {
	followups := plan.Followups(r.report)
	var (
		mu  sync.Mutex
		out []v1alpha1.CheckResult
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxFollowups)
	next := len(r.order)
	for _, f := range followups {
		for _, c := range f.Request.Checks {
			r.order[c.ID] = next
			next++
		}
		g.Go(func() error {
			r.deps.Progress.Infof("%s: looking inside pod %s/%s", f.Reason, f.Namespace, f.Pod)
			results, err := r.followOne(gctx, f)
			if err != nil {
				results = failedResults(f, kube.Explain(err))
			}
			mu.Lock()
			out = append(out, results...)
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func (r *run) followOne(ctx context.Context, f plan.Followup) ([]v1alpha1.CheckResult, error) {
	pod, err := r.deps.Client.CoreV1().Pods(f.Namespace).Get(ctx, f.Pod, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get pod %s/%s: %w", f.Namespace, f.Pod, err)
	}
	container, err := resolve.TargetContainer(pod, "")
	if err != nil {
		return nil, err
	}
	agent, err := r.launcher().BeginEphemeralAgent(ctx, pod, r.agentSpec(), container)
	if err != nil {
		return nil, err
	}
	return r.probeStarting(ctx, agent, f.Request)
}

// failedResults records a follow-up that could not run as error results.
func failedResults(f plan.Followup, err error) []v1alpha1.CheckResult {
	var out []v1alpha1.CheckResult
	for _, c := range f.Request.Checks {
		out = append(out, v1alpha1.CheckResult{
			ID: c.ID, Check: c.Check, Target: c.Target, Vantage: plan.Vantage(f.Namespace, f.Pod),
			Status: v1alpha1.StatusError, Summary: "could not run in the pod: " + err.Error(), Error: err.Error(),
		})
	}
	return out
}

// sortResults puts results in plan order (they arrive in completion order).
func sortResults(results []v1alpha1.CheckResult, order map[string]int) {
	slices.SortStableFunc(results, func(a, b v1alpha1.CheckResult) int {
		oa, okA := order[a.ID]
		ob, okB := order[b.ID]
		switch {
		case okA && okB:
			return oa - ob
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
}
