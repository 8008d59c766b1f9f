package plugin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/engine"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/preflight"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/report"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/suite"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// Client-side rate limit of the API client: a short CLI run, not a controller.
const (
	clientQPS   = 50
	clientBurst = 100
)

// Options is the root command's flags and what Complete derives from them.
type Options struct {
	genericiooptions.IOStreams
	configFlags *genericclioptions.ConfigFlags

	To              []string
	Container       string
	Image           string
	Registry        string
	ImagePullPolicy string
	Timeout         time.Duration
	Count           int
	Output          string
	// Node mode (issue #4).
	Mode          string
	Deep          bool
	NodeNamespace string
	CaptureOut    string
	// File is the -f suite file ("-" for stdin); see suite.go.
	File             string
	ImagePullSecrets []string
	// Preflight checks RBAC with SelfSubjectAccessReviews before anything is created.
	Preflight bool

	// Set by Complete.
	namespace string
	source    target.Source
	targets   []target.Spec
	suite     *suite.Suite

	// Collaborators; tests set them before Complete, which then leaves them alone.
	Client     kubernetes.Interface
	RestConfig *rest.Config
	Executor   kube.Executor
	// RunEngine is engine.Run; a test may replace it.
	RunEngine func(context.Context, engine.Deps, engine.Config) (*v1alpha1.Report, error)
}

// NewOptions returns Options with the defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		IOStreams:       streams,
		configFlags:     genericclioptions.NewConfigFlags(true),
		ImagePullPolicy: string(corev1.PullIfNotPresent),
		Timeout:         launch.DefaultTimeout,
		Count:           plan.DefaultCount,
		Output:          "table",
		Mode:            engine.ModeAuto,
		Preflight:       true,
		RunEngine:       engine.Run,
	}
}

// AddFlags registers the command's flags and the kubectl connection flags.
func (o *Options) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.To, "to", nil, "target to check (repeatable): svc/NAME[:PORT], pod/NAME[:PORT], IP[:PORT], HOST:PORT, dns/NAME")
	f.StringVarP(&o.Container, "container", "c", "", "container of SOURCE whose processes the probe shares (default: the first running one)")
	f.StringVar(&o.Image, "image", "", "probe image (default: "+version.ProbeImage("")+")")
	f.StringVar(&o.Registry, "registry", "", "registry (and path) to pull the probe image from, e.g. registry.internal:5000/netcheck")
	f.StringVar(&o.ImagePullPolicy, "image-pull-policy", o.ImagePullPolicy, "probe image pull policy: Always, IfNotPresent or Never")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "bound on each wait: the probe starting, and each probe run")
	f.IntVar(&o.Count, "count", o.Count, "TCP connects per address")
	f.StringVarP(&o.Output, "output", "o", o.Output, "output format: "+strings.Join(report.Formats(), "|"))
	f.StringVar(&o.Mode, "mode", o.Mode, "where checks run: auto (pod view, plus the node view when a check fails; node mode "+
		"when no agent can join the pod), pod (ephemeral agent only) or node (node pods only)")
	f.BoolVar(&o.Deep, "deep", false, "auto mode: add the node view (node pods: node state, namespace scan, hop-by-hop trace) even when every check passes")
	f.StringVar(&o.NodeNamespace, "node-namespace", "", "namespace for the node pods (hostNetwork, hostPID, privileged) (default: the -n namespace)")
	f.StringVar(&o.CaptureOut, "capture-out", "", "directory to write one pcapng per node of the traces' captures (one interface per hop)")
	o.addShipFlags(cmd)
	o.configFlags.AddFlags(f)
}

// Complete parses SOURCE and --to and connects to the cluster.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	if o.File != "" {
		if err := o.completeSuite(args); err != nil {
			return err
		}
		return o.completeCluster()
	}
	if len(args) != 1 {
		return fmt.Errorf("name one SOURCE pod: kubectl netcheck SOURCE --to TARGET, or a node: kubectl netcheck node/NAME (see --help)")
	}
	src, err := target.ParseSource(args[0])
	if err != nil {
		return err
	}
	o.source = src
	o.targets = o.targets[:0]
	for _, raw := range o.To {
		spec, err := target.Parse(raw)
		if err != nil {
			return err
		}
		o.targets = append(o.targets, spec)
	}
	return o.completeCluster()
}

// completeCluster resolves the image, the namespace and the API client.
func (o *Options) completeCluster() error {
	if o.Image == "" {
		o.Image = version.ProbeImage(o.Registry)
	}
	ns, _, err := o.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return fmt.Errorf("read the namespace from kubeconfig: %w", err)
	}
	o.namespace = ns
	if o.Client == nil {
		if o.RestConfig == nil {
			if o.RestConfig, err = o.configFlags.ToRESTConfig(); err != nil {
				return fmt.Errorf("load kubeconfig: %w", err)
			}
			// client-go's default (5/s, burst 10) makes a node-mode run wait on
			// itself: node pods, their watches and the node reads come in a
			// burst, and so do the deletes after Ctrl-C.
			if o.RestConfig.QPS == 0 && o.RestConfig.Burst == 0 {
				o.RestConfig.QPS, o.RestConfig.Burst = clientQPS, clientBurst
			}
		}
		if o.Client, err = kubernetes.NewForConfig(o.RestConfig); err != nil {
			return fmt.Errorf("create the API client: %w", err)
		}
	}
	return nil
}

// Validate rejects flag combinations that cannot run.
func (o *Options) Validate() error {
	formats := report.Formats()
	if o.suite != nil {
		formats = report.SuiteFormats()
	}
	switch {
	case o.suite == nil && len(o.targets) == 0 && o.source.Kind != target.SourceNode:
		return fmt.Errorf("no targets: name at least one with --to (%s)", target.Usage)
	case !slices.Contains(engine.Modes(), o.Mode):
		return fmt.Errorf("--mode %q: want %s", o.Mode, strings.Join(engine.Modes(), ", "))
	case !slices.Contains(formats, o.Output):
		return fmt.Errorf("unknown output format %q%s: use one of %s", o.Output, suiteNote(o.suite), strings.Join(formats, ", "))
	case o.Count < 1 || o.Count > 1000:
		return fmt.Errorf("--count %d: want 1 to 1000", o.Count)
	case o.Timeout <= 0:
		return fmt.Errorf("--timeout must be positive")
	case o.Registry != "" && o.Image != version.ProbeImage(o.Registry):
		return fmt.Errorf("--image and --registry both name the image: use one")
	}
	switch corev1.PullPolicy(o.ImagePullPolicy) {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return fmt.Errorf("--image-pull-policy %q: want Always, IfNotPresent or Never", o.ImagePullPolicy)
	}
	return validatePullSecrets(o.ImagePullSecrets)
}

// Config is what the engine runs, derived from the completed options.
func (o *Options) Config() engine.Config {
	cfg := engine.Config{
		Namespace:       o.namespace,
		Source:          o.source,
		Targets:         o.targets,
		Container:       o.Container,
		Image:           o.Image,
		ImagePullPolicy: corev1.PullPolicy(o.ImagePullPolicy),
		Timeout:         o.Timeout,
		Plan:            plan.Options{Count: o.Count},
		Mode:            o.Mode,
		Deep:            o.Deep,
		NodeNamespace:   o.NodeNamespace,
		CaptureOut:      o.CaptureOut,
	}
	cfg.ImagePullSecrets = o.ImagePullSecrets
	if o.Output == "ndjson" {
		cfg.Events = o.Out
	}
	return cfg
}

// Run checks, prints the report, and returns the verdict as an exit error.
func (o *Options) Run(ctx context.Context) error {
	quietAfterCancel(ctx)
	if o.suite != nil {
		return o.runSuite(ctx)
	}
	if err := o.preflight(ctx, preflight.Rules(o.preflightInput())); err != nil {
		return err
	}
	progress := report.NewProgress(o.ErrOut)
	deps := engine.Deps{Client: o.Client, RestConfig: o.RestConfig, Executor: o.Executor, Progress: progress}
	rep, err := o.RunEngine(ctx, deps, o.Config())
	if err != nil {
		return err
	}
	if o.Output == "ndjson" {
		progress.Infof("verdict: %s: %s", rep.Verdict.Status, rep.Verdict.Summary)
	} else if err := report.Print(o.Out, o.Output, rep); err != nil {
		return err
	}
	return verdictExit(rep.Verdict)
}

// preflightInput is what this run touches: the pod view's calls, or node
// mode's (node pods in --node-namespace) when only node pods will run. Auto
// mode's node view is optional (the pod view stands without it), so it asks
// only for the pod view.
func (o *Options) preflightInput() preflight.Input {
	in := preflight.ForRun(o.namespace, o.source, o.targets)
	if o.source.Kind == target.SourceNode {
		in.SourceNamespace = ""
	}
	if o.Mode == engine.ModeNode || o.source.Kind == target.SourceNode {
		in.Mode, in.NodeNamespace = preflight.ModeNode, o.NodeNamespace
		if in.NodeNamespace == "" {
			in.NodeNamespace = o.namespace
		}
	}
	return in
}

// quietAfterCancel drops client-go's "unhandled error" log lines once ctx is
// cancelled: after Ctrl-C the exec stream's teardown ("Copying stdout failed:
// use of closed network connection") is expected, and the one error line the
// user sees should be ours.
func quietAfterCancel(ctx context.Context) {
	handlers := utilruntime.ErrorHandlers
	utilruntime.ErrorHandlers = []utilruntime.ErrorHandler{
		func(hctx context.Context, err error, msg string, kv ...interface{}) {
			if ctx.Err() != nil {
				return
			}
			for _, h := range handlers {
				h(hctx, err, msg, kv...)
			}
		},
	}
}
