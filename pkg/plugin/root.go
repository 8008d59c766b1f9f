// Package plugin is the kubectl-netcheck command line: cobra commands whose
// Options turn flags into an engine.Config (Complete, Validate), run the engine
// and print the report. It is the only package that sees cobra.
package plugin

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/engine"
	// Auth plugins (OIDC, exec, GCP, Azure) so any kubeconfig kubectl can use works here.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

// NewCmdNetcheck is the root command: `kubectl netcheck SOURCE --to TARGET...`,
// with the explain, image and version subcommands.
func NewCmdNetcheck(streams genericiooptions.IOStreams) *cobra.Command {
	return newCmdNetcheck(NewOptions(streams))
}

// newCmdNetcheck builds the command around o, so tests can inject collaborators.
func newCmdNetcheck(o *Options) *cobra.Command {
	streams := o.IOStreams
	cmd := &cobra.Command{
		Use:     "netcheck SOURCE --to TARGET [--to TARGET...] | netcheck node/NAME | netcheck -f FILE",
		Short:   "Diagnose pod network faults from inside a pod",
		Long:    rootLong,
		Example: rootExample,
		// One printed error, from main via HandleError; no usage dump on a failed run.
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl netcheck"},
		Args:          cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
		ValidArgsFunction: o.completeSource,
	}
	o.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("to", o.completeTarget)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "yaml", "junit", "ndjson"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions(engine.Modes(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("capture-out", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	_ = cmd.RegisterFlagCompletionFunc("image-pull-policy", cobra.FixedCompletions([]string{"Always", "IfNotPresent", "Never"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())
	})
	cmd.AddCommand(newCmdExplain(streams), newCmdImage(streams), newCmdVersion(streams))
	return cmd
}
