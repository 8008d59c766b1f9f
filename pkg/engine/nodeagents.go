package engine

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
)

// nodeAgents are the node pods of one run, by node. Every pod that started is
// deleted by cleanup, whatever happened since: the run ends, fails, times out
// or is interrupted.
type nodeAgents struct {
	l  *launch.Launcher
	mu sync.Mutex
	by map[string]launch.Agent
}

// startNodeAgents starts a node pod on each node at once and waits until all
// run. On error the ones that did start are still returned for cleanup.
func (r *run) startNodeAgents(ctx context.Context, nodes []string) (*nodeAgents, error) {
	r.nodePods = true
	a := &nodeAgents{l: r.launcher(), by: map[string]launch.Agent{}}
	ns := r.cfg.NodeNamespace
	if ns == "" {
		ns = r.cfg.Namespace
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, node := range nodes {
		spec := launch.AgentSpec{
			Name:            launch.NodePodName(node, r.deps.NameSuffix()),
			Image:           r.cfg.Image,
			ImagePullPolicy: r.cfg.ImagePullPolicy,
			IdleTimeout:     launch.NodeAgentIdleTimeout,
			// A node pod pulls with its own secrets, in its own namespace.
			ImagePullSecrets: r.cfg.ImagePullSecrets,
		}
		g.Go(func() error {
			agent, err := a.l.StartNodeAgent(gctx, ns, node, spec)
			if err != nil {
				return err
			}
			a.mu.Lock()
			a.by[node] = agent
			a.mu.Unlock()
			return nil
		})
	}
	return a, g.Wait()
}

// get is the agent on node.
func (a *nodeAgents) get(node string) (launch.Agent, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	agent, ok := a.by[node]
	return agent, ok
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
