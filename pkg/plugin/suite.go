package plugin

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/engine"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/preflight"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/report"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/suite"
)

// addShipFlags registers the flags of issue #5 (suites, pull secrets, the
// RBAC preflight), kept apart from the core flags.
func (o *Options) addShipFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.File, "filename", "f", "", "run the checks of a CheckSuite file (- reads stdin) instead of SOURCE --to; exits by the combined result")
	f.StringArrayVar(&o.ImagePullSecrets, "image-pull-secret", nil, "secret to pull the probe image with (repeatable). Node pods get it; "+
		"in pod mode the source pod must already list it in its imagePullSecrets, which an ephemeral container uses")
	_ = cobra.MarkFlagFilename(f, "filename", "yaml", "yml", "json")
	f.BoolVar(&o.Preflight, "preflight", o.Preflight, "check with SelfSubjectAccessReviews that you may make every call of the run before anything is created")
}

// completeSuite reads and parses the -f file. A suite names its own sources
// and targets, so neither SOURCE nor --to may be given with it.
func (o *Options) completeSuite(args []string) error {
	switch {
	case len(args) > 0:
		return fmt.Errorf("-f %s and SOURCE %q are exclusive: each check of the suite names its own source", o.File, args[0])
	case len(o.To) > 0:
		return fmt.Errorf("-f %s and --to are exclusive: each check of the suite lists its own targets", o.File)
	}
	var (
		r    io.Reader
		name string
	)
	if o.File == "-" {
		r, name = o.In, "stdin"
	} else {
		f, err := os.Open(o.File)
		if err != nil {
			return fmt.Errorf("open suite: %w", err)
		}
		defer f.Close()
		r, name = f, o.File
	}
	s, err := suite.Parse(r, name)
	if err != nil {
		return err
	}
	o.suite = s
	return nil
}

// runSuite runs every check of the suite after one preflight over all of
// them, prints the suite report and exits by the combined result.
func (o *Options) runSuite(ctx context.Context) error {
	var rules [][]preflight.Rule
	for i, c := range o.suite.Checks {
		// The report names the namespace each check ran in, given or not.
		o.suite.Checks[i].Namespace = o.checkNamespace(c)
		rules = append(rules, preflight.Rules(preflight.ForRun(o.checkNamespace(c), c.Source, c.Targets)))
	}
	if err := o.preflight(ctx, preflight.Merge(rules...)); err != nil {
		return err
	}
	progress := report.NewProgress(o.ErrOut)
	deps := engine.Deps{Client: o.Client, RestConfig: o.RestConfig, Executor: o.Executor, Progress: progress}
	run := func(ctx context.Context, c suite.Check) (*v1alpha1.Report, error) {
		return o.RunEngine(ctx, deps, o.checkConfig(c))
	}
	rep, err := suite.Run(ctx, o.suite, run, progress.Infof)
	if err != nil {
		return err
	}
	if err := report.PrintSuite(o.Out, o.Output, rep); err != nil {
		return err
	}
	if rep.Result.ExitCode == v1alpha1.ExitOK {
		return nil
	}
	return &ExitError{Code: rep.Result.ExitCode, Silent: true, Err: fmt.Errorf("suite %s: %s", rep.Result.Outcome, rep.Result.Summary)}
}

// checkConfig is the engine run of one suite check: the command line's
// settings with the check's source, targets, namespace and count.
func (o *Options) checkConfig(c suite.Check) engine.Config {
	cfg := o.Config()
	cfg.Namespace = o.checkNamespace(c)
	cfg.Source, cfg.Targets = c.Source, c.Targets
	if c.Count > 0 {
		cfg.Plan.Count = c.Count
	}
	cfg.Events = nil
	cfg.NoFollowUps = c.Expect == v1alpha1.ExpectBlocked
	return cfg
}

func (o *Options) checkNamespace(c suite.Check) string {
	if c.Namespace != "" {
		return c.Namespace
	}
	return o.namespace
}

// preflight stops a run the user's RBAC would stop half way, before anything
// is created and before any progress line.
func (o *Options) preflight(ctx context.Context, rules []preflight.Rule) error {
	if !o.Preflight {
		return nil
	}
	return kube.Explain(preflight.Check(ctx, o.Client, rules))
}

func validatePullSecrets(names []string) error {
	for _, n := range names {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			return fmt.Errorf("--image-pull-secret %q is not a secret name: %s", n, errs[0])
		}
	}
	return nil
}

func suiteNote(s *suite.Suite) string {
	if s == nil {
		return ""
	}
	return " for a suite (-f)"
}
