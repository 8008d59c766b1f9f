package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/resolve"
)

// nodeMode checks from node agents only: the pod-view checks run from the
// source pod's node inside the pod's netns, with the node view around them.
func (r *run) nodeMode(ctx context.Context, res resolved, reason string) (*v1alpha1.Report, error) {
	r.report = res.report
	r.report.Mode, r.report.ModeReason = ModeNode, reason
	if err := r.nodeView(ctx, res, true); err != nil {
		return nil, err
	}
	return r.finish()
}

// nodeOnly is `kubectl netcheck node/NAME`: the node checks alone, with a
// scan of every pod's namespace on the node.
func (r *run) nodeOnly(ctx context.Context) (*v1alpha1.Report, error) {
	name := r.cfg.Source.Name
	r.report = &v1alpha1.Report{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindReport, Mode: ModeNode,
		ModeReason: "node checks on " + r.cfg.Source.Raw, Source: v1alpha1.Source{Node: name}}
	facts, cidr, err := r.readNodes(ctx, []string{name})
	if err != nil {
		return nil, err
	}
	r.report.Nodes = reportNodes(facts, nil)
	r.deps.Progress.Resolved(r.report)
	agents, err := r.startNodeAgents(ctx, []string{name})
	defer agents.cleanup()
	if err != nil {
		return nil, err
	}
	r.report.Nodes = reportNodes(facts, agents.viewStates(r.cfg.Image))
	r.snapshot(ctx, agents, []string{name}, facts, cidr)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.afterSnapshot(ctx, agents, []string{name})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	agents.cleanup() // before the verdict, as the other modes do
	return r.finish()
}

// nodeView adds the node view to the report: a node pod on the source node
// and on every node hosting a target; per node a nodeinfo snapshot and a
// namespace scan before any probe traffic, then the traffic (the pod-view
// checks from the source pod's netns when podView, and one trace per TCP
// address, captured on every hop of every node), then a second nodeinfo
// snapshot. The node pods are deleted before it returns.
//
// A node whose pod did not start is left out of the snapshots; its view says
// why it could not be watched, and every trace into it is captured on the
// other nodes only and says so (see unwatched).
func (r *run) nodeView(ctx context.Context, res resolved, podView bool) error {
	nodes := plan.ViewNodes(r.report)
	type read struct {
		facts map[string]resolve.NodeFacts
		cidr  string
		err   error
	}
	readDone := make(chan read, 1)
	go func() { // the API reads overlap the node pods' start
		f, c, err := r.readNodes(ctx, nodes)
		readDone <- read{f, c, err}
	}()
	agents, err := r.startNodeAgents(ctx, nodes)
	defer agents.cleanup()
	rd := <-readDone
	if err != nil {
		return err
	}
	if rd.err != nil {
		return rd.err
	}
	r.report.Nodes = reportNodes(rd.facts, agents.viewStates(r.cfg.Image))
	watched := agents.watched(nodes)

	views := r.snapshot(ctx, agents, watched, rd.facts, rd.cidr)
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, node := range nodes {
		if _, ok := views[node]; !ok {
			// A view without a scan: traces still plan the node's far half,
			// which then names the node and why it was not watched.
			f := rd.facts[node]
			views[node] = plan.NodeView{Name: node, Pods: f.Pods, InternalIP: f.InternalIP, VTEPIP: f.VTEPIP,
				ScanErr: agents.unwatched(node).Error()}
		}
	}
	podReq := plan.Build(r.report, withDNS(r.cfg.Plan, res.dnsServers))
	var fromPod *v1alpha1.ProbeRequest
	if podView {
		podReq.Netns = resolve.PodNetns(res.source, res.container)
		fromPod = &podReq
	}
	traces := plan.Traces(r.report, podReq.Checks, views, r.traceOptions())
	if err := r.traffic(ctx, agents, fromPod, traces); err != nil {
		return err
	}
	var wg sync.WaitGroup
	if podView {
		wg.Go(func() { r.nodeFollowUp(ctx, agents) })
	}
	r.afterSnapshot(ctx, agents, watched)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.writeCaptures()
}

// reportNodes lists the nodes' API facts for Report.Nodes, sorted by name,
// each with its node view state when views has one.
func reportNodes(facts map[string]resolve.NodeFacts, views map[string]*v1alpha1.NodeViewState) []v1alpha1.NodeFacts {
	out := make([]v1alpha1.NodeFacts, 0, len(facts))
	for name, f := range facts {
		n := f.Report
		n.View = views[name]
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// readNodes reads each node and its pods, and the cluster's pod network.
func (r *run) readNodes(ctx context.Context, nodes []string) (map[string]resolve.NodeFacts, string, error) {
	res := &resolve.Resolver{Client: r.deps.Client, Namespace: r.cfg.Namespace}
	facts := make(map[string]resolve.NodeFacts, len(nodes))
	var mu sync.Mutex
	var cidr string
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range nodes {
		g.Go(func() error {
			f, err := res.Node(gctx, n)
			if err != nil {
				return err
			}
			if f.PodsErr != nil && gctx.Err() == nil { // an interrupted run says so once, not per request
				r.deps.Progress.Infof("warning: %v; the namespace scan of node %s judges ownership without the API's pods", f.PodsErr, n)
			}
			mu.Lock()
			facts[n] = f
			mu.Unlock()
			return nil
		})
	}
	g.Go(func() error {
		cidr = res.ClusterCIDR(gctx)
		return nil
	})
	return facts, cidr, g.Wait()
}

// snapshot runs, on every node at once, the "before" nodeinfo snapshot and
// the namespace scan in one exec each, adds their results to the report, and
// returns what the traces need of each node.
func (r *run) snapshot(ctx context.Context, agents *nodeAgents, nodes []string, facts map[string]resolve.NodeFacts, cidr string) map[string]plan.NodeView {
	views := make(map[string]plan.NodeView, len(nodes))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, node := range nodes {
		f := facts[node]
		checks := []v1alpha1.CheckSpec{
			plan.NodeInfo(node, v1alpha1.NodeInfoBefore),
			plan.NSScan(node, resolve.ScanCIDR(cidr, f), f.Pods, plan.TargetIPsOn(r.report, node)),
		}
		r.addOrder(checks)
		wg.Go(func() {
			results := r.onNode(ctx, agents, node, v1alpha1.NewProbeRequest(checks...), nil)
			view := plan.NodeView{Name: node, Pods: f.Pods, InternalIP: f.InternalIP, VTEPIP: f.VTEPIP}
			for _, res := range results {
				switch {
				case res.Check == v1alpha1.CheckNodeInfo && res.NodeInfo != nil:
					view.Info = res.NodeInfo
				case res.Check == v1alpha1.CheckNSScan && res.NSScan != nil && res.Status != v1alpha1.StatusError:
					view.Scan = res.NSScan
				case res.Check == v1alpha1.CheckNSScan:
					view.ScanErr = firstNonEmpty(res.Error, res.Summary)
				}
			}
			mu.Lock()
			views[node] = view
			mu.Unlock()
			r.addResults(results...)
		})
	}
	wg.Wait()
	return views
}

// afterSnapshot takes the "after" nodeinfo snapshot on every node at once.
func (r *run) afterSnapshot(ctx context.Context, agents *nodeAgents, nodes []string) {
	var wg sync.WaitGroup
	for _, node := range nodes {
		check := plan.NodeInfo(node, v1alpha1.NodeInfoAfter)
		r.addOrder([]v1alpha1.CheckSpec{check})
		wg.Go(func() { r.addResults(r.onNode(ctx, agents, node, v1alpha1.NewProbeRequest(check), nil)...) })
	}
	wg.Wait()
}

// onNode runs req on node's agent; when it cannot, its checks come back as
// error results naming why.
func (r *run) onNode(ctx context.Context, agents *nodeAgents, node string, req v1alpha1.ProbeRequest, onEvent func(v1alpha1.Event)) []v1alpha1.CheckResult {
	agent, ok := agents.get(node)
	if !ok {
		return failedIn(req, node, agents.unwatched(node))
	}
	results, err := r.nodeExec(ctx, agent, req, nil, onEvent)
	if err != nil {
		return failedIn(req, node, err)
	}
	return results
}

// failedIn is failed with each check's vantage: the pod's for pod-view
// checks run in a pod's netns, the node's otherwise.
func failedIn(req v1alpha1.ProbeRequest, node string, err error) []v1alpha1.CheckResult {
	out := failed(req.Checks, plan.NodeVantage(node), err)
	for i := range out {
		if req.Netns != nil && plan.PodViewCheck(out[i].Check) {
			out[i].Vantage = req.Netns.Label
		}
	}
	return out
}

// nodeFollowUp is followUp from node agents: each pod that refused
// connections shows its own listeners, read in its netns from its node.
func (r *run) nodeFollowUp(ctx context.Context, agents *nodeAgents) {
	r.mu.Lock()
	followups := plan.Followups(r.report)
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range followups {
		r.addOrder(f.Request.Checks)
		wg.Go(func() {
			r.deps.Progress.Infof("%s: looking inside pod %s/%s from its node", f.Reason, f.Namespace, f.Pod)
			r.addResults(r.followOnNode(ctx, agents, f)...)
		})
	}
	wg.Wait()
}

func (r *run) followOnNode(ctx context.Context, agents *nodeAgents, f plan.Followup) []v1alpha1.CheckResult {
	pod, err := r.deps.Client.CoreV1().Pods(f.Namespace).Get(ctx, f.Pod, metav1.GetOptions{})
	if err != nil {
		return failedResults(f, fmt.Errorf("get pod %s/%s: %w", f.Namespace, f.Pod, err))
	}
	req := f.Request
	req.Netns = resolve.PodNetns(pod, "")
	return r.onNode(ctx, agents, pod.Spec.NodeName, req, nil)
}

// addOrder places checks after those already planned, so results print in
// the order they were planned.
func (r *run) addOrder(checks []v1alpha1.CheckSpec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range checks {
		if _, ok := r.order[c.ID]; !ok {
			r.order[c.ID] = len(r.order)
		}
	}
}

// addResults adds results to the report; node agents report concurrently.
func (r *run) addResults(results ...v1alpha1.CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Results = append(r.report.Results, results...)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
