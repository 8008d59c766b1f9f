package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/trace"
)

// maxParallel bounds the checks one node agent runs at once: every trace and
// far half must start together, or a far capture could end before its
// sender's probes leave.
const maxParallel = 32

// traceOptions picks the first tags of this run's traces, the TCP tag port
// and the ICMP echo id: random, so two runs at once do not read each other's
// probes.
func (r *run) traceOptions() plan.TraceOptions {
	span := plan.LastTracePort - plan.FirstTracePort - 1000 // room for many traces of one run
	return plan.TraceOptions{FirstPort: plan.FirstTracePort + rand.IntN(span), FirstICMPID: uint16(1 + rand.IntN(0xffff))}
}

// traffic is the part of the node view that sends packets. The far halves of
// the traces start first, on every other node at once; once each has said it
// is capturing, the source node's agent runs the pod-view checks (fromPod,
// when set) and the senders of the traces in one exec. As soon as every
// sender's result is in, the far halves are told to stop (their capture
// window is only the cap); each trace is then merged with its far halves.
func (r *run) traffic(ctx context.Context, agents *nodeAgents, fromPod *v1alpha1.ProbeRequest, traces []plan.TracePlan) error {
	srcNode := r.report.Source.Node
	far := r.startFarHalves(ctx, agents, traces)
	defer far.stopCapturing() // every path: the far execs' stdin must end
	far.waitCapturing(ctx, r.cfg.Timeout)

	req := v1alpha1.NewProbeRequest()
	if fromPod != nil {
		req = *fromPod
		req.Checks = append([]v1alpha1.CheckSpec(nil), fromPod.Checks...)
	}
	for _, t := range traces {
		if t.Problem == "" {
			req.Checks = append(req.Checks, t.Sender)
		}
	}
	r.addOrder(req.Checks)
	req.Parallelism = min(max(len(req.Checks), 1), maxParallel)
	var sent []v1alpha1.CheckResult
	if len(req.Checks) > 0 {
		r.deps.Progress.Infof("running %d checks from node %s (%d traces)", len(req.Checks), srcNode, len(traces))
		sent = r.onNode(ctx, agents, srcNode, req, far.stopAfterSenders(traces))
	}
	far.stopCapturing() // the senders' exec is over, whatever became of it
	far.wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	byID := map[string]v1alpha1.CheckResult{}
	for _, res := range sent {
		if res.Check == v1alpha1.CheckTrace {
			byID[res.ID] = res
			continue
		}
		r.addResults(res)
	}
	for _, t := range traces {
		r.addOrder([]v1alpha1.CheckSpec{t.Sender})
		res, ok := byID[t.Sender.ID]
		switch {
		case t.Problem != "":
			res = traceError(t, srcNode, "cannot trace: "+t.Problem)
		case !ok:
			res = traceError(t, srcNode, "the trace sent no result")
		default:
			res.Vantage = plan.NodeVantage(srcNode)
			res = r.mergeTrace(res, t, far)
		}
		r.addResults(res)
	}
	return nil
}

func traceError(t plan.TracePlan, node, msg string) v1alpha1.CheckResult {
	return v1alpha1.CheckResult{ID: t.Sender.ID, Check: v1alpha1.CheckTrace, Target: t.Sender.Target,
		Vantage: plan.NodeVantage(node), Status: v1alpha1.StatusError, Summary: msg, Error: msg}
}

// farHalves are the capture-only trace halves running on the other nodes.
type farHalves struct {
	wg sync.WaitGroup
	mu sync.Mutex
	// results by check ID; errs by node when a node's exec failed.
	results map[string]v1alpha1.CheckResult
	errs    map[string]error
	// capturing is closed per check ID once that half captures (or ended).
	capturing map[string]chan struct{}
	once      map[string]*sync.Once
	// stop closes once the senders are done: the far execs' stdin then
	// tells the probes to stop capturing.
	stop     chan struct{}
	stopOnce sync.Once
}

// stopCapturing tells every far half to stop (once).
func (f *farHalves) stopCapturing() { f.stopOnce.Do(func() { close(f.stop) }) }

// stopAfterSenders is the senders' event hook: once the result of every
// sender with far halves has arrived, the far halves stop, without waiting
// for the slower pod-view checks of the same exec.
func (f *farHalves) stopAfterSenders(traces []plan.TracePlan) func(v1alpha1.Event) {
	waiting := map[string]bool{}
	for _, t := range traces {
		if t.Problem == "" && len(t.Far) > 0 {
			waiting[t.Sender.ID] = true
		}
	}
	return func(ev v1alpha1.Event) { // serialized by the stream
		if ev.Type != v1alpha1.EventResult || !waiting[ev.CheckID] {
			return
		}
		delete(waiting, ev.CheckID)
		if len(waiting) == 0 {
			f.stopCapturing()
		}
	}
}

// startFarHalves starts, on each node, one exec with all the far halves
// planned there.
func (r *run) startFarHalves(ctx context.Context, agents *nodeAgents, traces []plan.TracePlan) *farHalves {
	f := &farHalves{results: map[string]v1alpha1.CheckResult{}, errs: map[string]error{},
		capturing: map[string]chan struct{}{}, once: map[string]*sync.Once{}, stop: make(chan struct{})}
	byNode := map[string][]v1alpha1.CheckSpec{}
	var order []string
	for _, t := range traces {
		if t.Problem != "" {
			continue
		}
		for _, h := range t.Far {
			if _, ok := byNode[h.Node]; !ok {
				order = append(order, h.Node)
			}
			byNode[h.Node] = append(byNode[h.Node], h.Spec)
			f.capturing[h.Spec.ID] = make(chan struct{})
			f.once[h.Spec.ID] = &sync.Once{}
		}
	}
	for _, node := range order {
		specs := byNode[node]
		agent, ok := agents.get(node)
		if !ok {
			f.fail(node, specs, agents.unwatched(node))
			continue
		}
		req := v1alpha1.NewProbeRequest(specs...)
		req.Parallelism = min(len(specs), maxParallel)
		// A probe older than the field ignores it and captures its window.
		req.StopOnStdin = true
		r.deps.Progress.Infof("capturing on node %s for %d traces", node, len(specs))
		f.wg.Go(func() {
			ended := make(chan struct{})
			defer close(ended)
			results, err := r.nodeExec(ctx, agent, req, newStopLine(f.stop, ended), func(ev v1alpha1.Event) {
				if ev.Type == v1alpha1.EventProgress || ev.Type == v1alpha1.EventResult {
					f.ready(ev.CheckID)
				}
			})
			if err != nil {
				f.fail(node, specs, err)
				return
			}
			f.mu.Lock()
			for _, res := range results {
				f.results[res.ID] = res
			}
			f.mu.Unlock()
			for _, s := range specs {
				f.ready(s.ID)
			}
		})
	}
	return f
}

func (f *farHalves) ready(id string) {
	if o, ok := f.once[id]; ok {
		o.Do(func() { close(f.capturing[id]) })
	}
}

func (f *farHalves) fail(node string, specs []v1alpha1.CheckSpec, err error) {
	f.mu.Lock()
	f.errs[node] = err
	f.mu.Unlock()
	for _, s := range specs {
		f.ready(s.ID)
	}
}

// waitCapturing waits until every far half captures, failed, or timeout passes.
func (f *farHalves) waitCapturing(ctx context.Context, timeout time.Duration) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, ch := range f.capturing {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		}
	}
}

// mergeTrace joins the sender's trace with its far halves (trace.Merge) and
// judges it again over every hop. A far half that could not capture, or
// stopped before the probes were done, is named; when the probes failed
// without it, the trace cannot say where they died and is an error rather
// than a wrong hop.
func (r *run) mergeTrace(sender v1alpha1.CheckResult, t plan.TracePlan, far *farHalves) v1alpha1.CheckResult {
	if sender.Trace == nil {
		return sender
	}
	srcNode := r.report.Source.Node
	r.keepCapture(srcNode, sender.Trace.PcapNG)
	var parts []*v1alpha1.TraceResult
	var missing []string
	senderEnd := end(sender)
	far.mu.Lock()
	for _, h := range t.Far {
		res, ok := far.results[h.Spec.ID]
		switch {
		case !ok && errors.As(far.errs[h.Node], new(*unwatchedError)):
			missing = append(missing, far.errs[h.Node].Error()) // names the node and why
		case !ok:
			missing = append(missing, fmt.Sprintf("node %s: %v", h.Node, firstNonEmptyErr(far.errs[h.Node], "no result")))
		case res.Trace == nil || len(res.Trace.PcapNG) == 0:
			missing = append(missing, fmt.Sprintf("node %s: %s", h.Node, firstNonEmpty(res.Error, res.Summary, "no capture")))
		// A half that stopped on request was told to after the sender's
		// result had arrived, so its capture covered the probes whatever the
		// two nodes' clocks say. Otherwise (its window ran out, or an older
		// probe) only the clocks can tell; the window's slack absorbs the
		// usual skew between nodes.
		case end(res).Before(senderEnd) && !res.Trace.StoppedOnRequest:
			r.keepCapture(h.Node, res.Trace.PcapNG)
			missing = append(missing, fmt.Sprintf("node %s: its capture stopped %s before the probes were done",
				h.Node, senderEnd.Sub(end(res)).Round(time.Millisecond)))
		default:
			r.keepCapture(h.Node, res.Trace.PcapNG)
			parts = append(parts, res.Trace)
		}
	}
	far.mu.Unlock()

	out := sender
	if len(parts) > 0 {
		merged, err := trace.Merge(sender.Trace, parts...)
		if err != nil {
			missing = append(missing, "merge: "+err.Error())
		} else {
			out.Trace = merged
			out.Status, out.Summary = trace.Summarize(merged)
		}
	}
	out.Trace.PcapNG = nil // written per node with --capture-out, too big for the report
	if len(missing) > 0 {
		note := "far side not captured (" + strings.Join(missing, "; ") + ")"
		out.Summary = strings.TrimSpace(out.Summary + "; " + note)
		if out.Status == v1alpha1.StatusFail {
			// Without the far side the last hop seen is where our view ends,
			// not where the packets died.
			out.Status, out.Error = v1alpha1.StatusError, "cannot tell where the probes died: "+note
		}
	}
	return out
}

// end is when a check finished, by the probe's clock.
func end(res v1alpha1.CheckResult) time.Time {
	return res.Started.Add(time.Duration(res.DurationMillis * float64(time.Millisecond)))
}

func firstNonEmptyErr(err error, fallback string) string {
	if err != nil {
		return err.Error()
	}
	return fallback
}
