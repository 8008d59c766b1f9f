// Package engine runs one `kubectl netcheck SOURCE --to TARGET...` in pod mode:
// resolve the source and targets (in parallel, while the agent starts), show
// the resolution, run the whole plan in one exec, follow up inside pods that
// refused connections, and diagnose. It never sees cobra: the plugin turns
// flags into a Config, and tests drive Run with a fake clientset and a scripted
// Executor.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/resolve"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// Config is one run, as the user asked for it.
type Config struct {
	// Namespace is the -n namespace for every spec that does not name its own.
	Namespace string
	Source    target.Source
	Targets   []target.Spec
	// Container is the container whose process namespace the agent targets; "" is the first running one.
	Container       string
	Image           string
	ImagePullPolicy corev1.PullPolicy
	// ImagePullSecrets must be listed by the source pod already (pod mode).
	ImagePullSecrets []string
	// Timeout bounds each wait: the agent start and each probe run.
	Timeout time.Duration
	Plan    plan.Options
	// Events, when set, gets every probe event line as it arrives (-o ndjson).
	Events io.Writer
	// NoFollowUps skips the second round inside pods that refused: for a path
	// expected to be closed the refusals are the point, and the backend pods
	// get no agent.
	NoFollowUps bool

	// Mode is ModeAuto ("" too), ModePod or ModeNode (see mode.go); Deep adds
	// the node view to a passing pod view in auto mode.
	Mode string
	Deep bool
	// NodeNamespace is where node pods are created; "" is Namespace.
	NodeNamespace string
	// CaptureOut, when set, is the directory one pcapng per node is written to.
	CaptureOut string
}

// Progress shows the run as it goes; *report.Progress implements it.
type Progress interface {
	Resolved(r *v1alpha1.Report)
	Event(vantage string, ev v1alpha1.Event)
	Infof(format string, args ...any)
}

// Deps are the engine's collaborators, injectable for tests.
type Deps struct {
	Client     kubernetes.Interface
	RestConfig *rest.Config
	// Executor runs the probe; nil means exec through the API server with RestConfig.
	Executor kube.Executor
	Progress Progress
	Clock    clock.PassiveClock
	// NameSuffix makes agent names unique; nil means 5 random characters.
	NameSuffix func() string
}

func (d Deps) withDefaults() Deps {
	if d.Executor == nil {
		d.Executor = &kube.RemoteExecutor{Config: d.RestConfig, Client: d.Client}
	}
	if d.Progress == nil {
		d.Progress = discardProgress{}
	}
	if d.Clock == nil {
		d.Clock = clock.RealClock{}
	}
	if d.NameSuffix == nil {
		d.NameSuffix = func() string { return utilrand.String(5) }
	}
	return d
}

// Validate checks what Run cannot do without.
func (c Config) Validate() error {
	switch {
	case c.Source.Name == "":
		return fmt.Errorf("no source pod")
	case len(c.Targets) == 0 && c.Source.Kind != target.SourceNode:
		return fmt.Errorf("no targets: name at least one with --to")
	case c.Image == "":
		return fmt.Errorf("no probe image")
	}
	return c.validateMode()
}

// Run checks the network from the source pod to every target and returns the
// report with findings and verdict. An error means the run could not happen
// (exit code 3); network faults are findings, never errors.
func Run(ctx context.Context, deps Deps, cfg Config) (*v1alpha1.Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	deps = deps.withDefaults()
	if cfg.Timeout <= 0 {
		cfg.Timeout = launch.DefaultTimeout
	}
	r := &run{deps: deps, cfg: cfg, started: deps.Clock.Now(), order: map[string]int{}}
	report, err := r.do(ctx)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			switch {
			case r.nodePods:
				return nil, fmt.Errorf("interrupted (%w); the node pods were deleted", ctx.Err())
			case r.cfg.mode() == ModeNode || r.cfg.Source.Kind == target.SourceNode:
				return nil, fmt.Errorf("interrupted (%w)", ctx.Err())
			}
			return nil, fmt.Errorf("interrupted (%w); an agent already started stays in its pod and exits by itself after %s idle",
				ctx.Err(), launch.DefaultIdleTimeout)
		}
		return nil, kube.Explain(err)
	}
	return report, nil
}

type run struct {
	deps    Deps
	cfg     Config
	started time.Time
	report  *v1alpha1.Report
	// order is each check's place in the plan, so results print in plan order.
	order map[string]int
	// nodePods is set once node pods may exist (they are deleted when the run ends).
	nodePods bool
	// mu guards report.Results and order while node agents report at once.
	mu sync.Mutex
	// captures are the trace pcapng files per node, for --capture-out.
	captures map[string][][]byte
}

func (r *run) do(ctx context.Context) (*v1alpha1.Report, error) {
	if r.cfg.Source.Kind == target.SourceNode {
		return r.nodeOnly(ctx)
	}
	resolved, err := r.resolveAndLaunch(ctx)
	if r.cfg.mode() == ModeNode && err == nil {
		return r.nodeMode(ctx, resolved, "--mode node")
	}
	if reason, ok := r.fallbackReason(resolved, err); ok {
		r.deps.Progress.Infof("falling back to node mode: %s", reason)
		report, nodeErr := r.nodeMode(ctx, resolved, reason)
		if nodeErr != nil && err != nil && ctx.Err() == nil {
			// Both ways in failed: say both, each with its fix.
			return nil, fmt.Errorf("%v; the fallback to node mode failed too: %v", kube.Explain(err), kube.Explain(nodeErr))
		}
		return report, nodeErr
	}
	if err != nil {
		return nil, err
	}
	r.report = resolved.report
	agent := resolved.agent

	req := plan.Build(r.report, withDNS(r.cfg.Plan, resolved.dnsServers))
	for i, c := range req.Checks {
		r.order[c.ID] = i
	}
	r.deps.Progress.Infof("running %d checks from %s", len(req.Checks), plan.Vantage(agent.Namespace, agent.Pod))
	results, err := r.probe(ctx, agent, req)
	if err != nil && agent.Reused && errors.Is(err, kube.ErrNoOutput) {
		// A reused agent can reach its idle timeout between our look and our exec.
		r.deps.Progress.Infof("agent %s did not answer (it may have just idled out); starting a new one", agent.Container)
		if agent, err = r.freshAgent(ctx, agent); err == nil {
			r.report.ModeReason = fmt.Sprintf("ephemeral agent %s in the source pod (the reused one did not answer)", agent.Container)
			results, err = r.probe(ctx, agent, req)
		}
	}
	if err != nil {
		return nil, err
	}
	r.report.Results = append(r.report.Results, results...)

	if !r.cfg.NoFollowUps {
		r.report.Results = append(r.report.Results, r.followUp(ctx)...)
	}
	if reason := r.deepReason(); reason != "" {
		r.deps.Progress.Infof("adding the node view: %s", reason)
		switch err := r.nodeView(ctx, resolved, false); {
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			// The pod view stands on its own: report it, and why the node view is missing.
			err = kube.Explain(err)
			r.deps.Progress.Infof("warning: the node view could not run: %v", err)
			r.report.ModeReason += "; node view not added (" + reason + "): " + err.Error()
		default:
			r.report.Mode = ModePodNode
			r.report.ModeReason += "; node view added: " + reason
		}
	}
	return r.finish()
}

// finish orders the results, diagnoses and decides the verdict.
func (r *run) finish() (*v1alpha1.Report, error) {
	sortResults(r.report.Results, r.order)
	r.report.Findings = diagnose.Diagnose(r.report)
	r.report.Verdict = diagnose.Decide(r.report)
	r.deps.Progress.Infof("done in %s", r.deps.Clock.Since(r.started).Round(time.Millisecond))
	return r.report, nil
}

// freshAgent adds a new agent next to one that stopped answering.
func (r *run) freshAgent(ctx context.Context, old launch.Agent) (launch.Agent, error) {
	pod, err := r.deps.Client.CoreV1().Pods(old.Namespace).Get(ctx, old.Pod, metav1.GetOptions{})
	if err != nil {
		return launch.Agent{}, fmt.Errorf("get source pod %s/%s: %w", old.Namespace, old.Pod, err)
	}
	container, err := resolve.TargetContainer(pod, r.cfg.Container)
	if err != nil {
		return launch.Agent{}, err
	}
	return r.launcher().AddEphemeralAgent(ctx, pod, r.agentSpec(), container)
}

func withDNS(o plan.Options, servers []v1alpha1.DNSServer) plan.Options {
	o.DNSServers = servers
	return o
}

// agentSpec is the agent this run wants: this build's image, a fresh name.
func (r *run) agentSpec() launch.AgentSpec {
	return launch.AgentSpec{
		Name:             launch.AgentName(imageTag(r.cfg.Image), r.deps.NameSuffix()),
		Image:            r.cfg.Image,
		ImagePullPolicy:  r.cfg.ImagePullPolicy,
		IdleTimeout:      launch.DefaultIdleTimeout,
		ImagePullSecrets: r.cfg.ImagePullSecrets,
	}
}

func (r *run) launcher() *launch.Launcher {
	return &launch.Launcher{Client: r.deps.Client, Infof: r.deps.Progress.Infof, Timeout: r.cfg.Timeout}
}

// probeVersionCheck warns once per agent when the probe is another build than
// the plugin: the schema check catches breaking skew, this names the benign kind.
func (r *run) probeVersionCheck(vantage string, ev v1alpha1.Event) {
	if ev.Type == v1alpha1.EventHello && ev.Hello != nil && ev.Hello.ProbeVersion != version.Version {
		r.deps.Progress.Infof("warning: the probe at %s is version %s, this plugin is %s", vantage, ev.Hello.ProbeVersion, version.Version)
	}
}

type discardProgress struct{}

func (discardProgress) Resolved(*v1alpha1.Report)    {}
func (discardProgress) Event(string, v1alpha1.Event) {}
func (discardProgress) Infof(string, ...any)         {}
