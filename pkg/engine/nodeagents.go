package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
)

// nodeAgents are the node pods of one run, by node. Every pod that started is
// deleted by cleanup, whatever happened since: the run ends, fails, times out
// or is interrupted.
type nodeAgents struct {
	l  *launch.Launcher
	mu sync.Mutex
	by map[string]launch.Agent
	// failed says, per node whose pod did not start, why.
	failed map[string]nodeStartFailure
}

// nodeStartFailure is a node pod that did not start.
type nodeStartFailure struct {
	pod string // namespace/name
	err error
}

// startNodeAgents starts a node pod on each node at once and waits until each
// runs or cannot. One node that fails does not stop the others: a sick node is
// when the view of the healthy ones is needed most, so the run goes on with
// the nodes that have a pod (see unwatched). Only when no pod starts at all
// is that an error. The ones that did start are always returned for cleanup.
func (r *run) startNodeAgents(ctx context.Context, nodes []string) (*nodeAgents, error) {
	r.nodePods = true
	a := &nodeAgents{l: r.launcher(), by: map[string]launch.Agent{}, failed: map[string]nodeStartFailure{}}
	ns := r.cfg.NodeNamespace
	if ns == "" {
		ns = r.cfg.Namespace
	}
	var wg sync.WaitGroup
	for _, node := range nodes {
		spec := launch.AgentSpec{
			Name:            launch.NodePodName(node, r.deps.NameSuffix()),
			Image:           r.cfg.Image,
			ImagePullPolicy: r.cfg.ImagePullPolicy,
			IdleTimeout:     launch.NodeAgentIdleTimeout,
			// A node pod pulls with its own secrets, in its own namespace.
			ImagePullSecrets: r.cfg.ImagePullSecrets,
		}
		wg.Go(func() {
			agent, err := a.l.StartNodeAgent(ctx, ns, node, spec)
			a.mu.Lock()
			defer a.mu.Unlock()
			if err != nil {
				a.failed[node] = nodeStartFailure{pod: ns + "/" + spec.Name, err: err}
				return
			}
			a.by[node] = agent
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return a, err
	}
	if len(a.by) == 0 && len(nodes) > 0 {
		return a, allFailed(nodes, a.failed)
	}
	for _, node := range nodes {
		if f, ok := a.failed[node]; ok {
			r.deps.Progress.Infof("warning: node %s cannot be watched: %v; the node view goes on without it", node, kube.Explain(f.err))
		}
	}
	return a, nil
}

// allFailed is the run's error when no node pod started, on one line. When
// every node failed alike it is the first node's error as it was (so it is
// explained as before partial views), naming the other nodes when the message
// names the node; otherwise the first node's reason and each other one.
func allFailed(nodes []string, failed map[string]nodeStartFailure) error {
	first := failed[nodes[0]].err
	msg := kube.Explain(first).Error()
	var same, other []string
	identical := true
	for _, node := range nodes[1:] {
		m := kube.Explain(failed[node].err).Error()
		switch {
		case m == msg:
		case strings.ReplaceAll(m, node, nodes[0]) == msg:
			identical = false
			same = append(same, node)
		default:
			identical = false
			other = append(other, fmt.Sprintf("node %s: %s", node, m))
		}
	}
	switch {
	case identical:
		return first
	case len(other) == 0:
		return fmt.Errorf("%s (the same on node %s)", msg, strings.Join(same, ", "))
	}
	if len(same) > 0 {
		msg += fmt.Sprintf(" (the same on node %s)", strings.Join(same, ", "))
	}
	return fmt.Errorf("no node pod started: %s; %s", msg, strings.Join(other, "; "))
}

// get is the agent on node.
func (a *nodeAgents) get(node string) (launch.Agent, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	agent, ok := a.by[node]
	return agent, ok
}

// watched are the nodes of nodes that have an agent, in order.
func (a *nodeAgents) watched(nodes []string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, n := range nodes {
		if _, ok := a.by[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// unwatched is why node has no agent, worded for the results that could not
// run there.
func (a *nodeAgents) unwatched(node string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f, ok := a.failed[node]; ok {
		return &unwatchedError{node: node, reason: kube.Explain(f.err).Error()}
	}
	return fmt.Errorf("no node pod runs on node %s", node)
}

// unwatchedError is a node without a node pod: what ran elsewhere stands,
// what needed this node says so and why.
type unwatchedError struct{ node, reason string }

func (e *unwatchedError) Error() string {
	return fmt.Sprintf("node %s could not be watched: %s", e.node, e.reason)
}

// viewStates are the report's NodeFacts.View of each node: watched, or why not.
func (a *nodeAgents) viewStates(image string) map[string]*v1alpha1.NodeViewState {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]*v1alpha1.NodeViewState{}
	for node := range a.by {
		out[node] = &v1alpha1.NodeViewState{Status: v1alpha1.NodeWatched}
	}
	for node, f := range a.failed {
		out[node] = &v1alpha1.NodeViewState{Status: v1alpha1.NodeUnwatched, Reason: kube.Explain(f.err).Error(),
			Cause: startFailureCause(f.err), Image: image, Pod: f.pod}
	}
	return out
}

// startFailureCause classifies why a node pod did not start, by the launch
// and API error types, so the diagnosis can give that cause's fix.
func startFailureCause(err error) string {
	var agentErr *launch.AgentError
	var notReady *launch.NodeNotReadyError
	switch {
	case errors.As(err, &notReady):
		return v1alpha1.CauseNodeNotReady
	case errors.As(err, &agentErr) && agentErr.ImageUnavailable():
		return v1alpha1.CauseImage
	case kube.IsPodSecurityRejection(err):
		return v1alpha1.CausePodSecurity
	}
	return v1alpha1.CauseOther
}

// cleanup deletes every started node pod, in parallel, each on its own fresh
// context (the run's may be cancelled by now).
func (a *nodeAgents) cleanup() {
	a.mu.Lock()
	defer a.mu.Unlock()
	var wg sync.WaitGroup
	for node, agent := range a.by {
		wg.Go(func() { _ = a.l.DeleteNodeAgent(agent) })
		delete(a.by, node)
	}
	wg.Wait()
}
