package plugin

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/report"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// newCmdExplain prints one catalogue entry: what a finding ID means and its fix.
func newCmdExplain(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "explain [ID]",
		Short: "Describe a finding ID and its fix; without an ID, list every finding",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return report.ExplainList(streams.Out, diagnose.Catalogue())
			}
			return explain(streams, args[0])
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return catalogueIDs(), cobra.ShellCompDirectiveNoFileComp
		},
	}
}

func explain(streams genericiooptions.IOStreams, id string) error {
	e, ok := diagnose.Lookup(id)
	if !ok {
		ids := catalogueIDs()
		if len(ids) == 0 {
			return fmt.Errorf("unknown finding ID %q", id)
		}
		return fmt.Errorf("unknown finding ID %q; known IDs: %s", id, strings.Join(ids, ", "))
	}
	return report.Explain(streams.Out, e)
}

func catalogueIDs() []string {
	var ids []string
	for _, e := range diagnose.Catalogue() {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	return ids
}

// newCmdImage prints the probe image this build runs, for mirroring into a
// private registry before an air-gapped run.
func newCmdImage(streams genericiooptions.IOStreams) *cobra.Command {
	var registry string
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Print the probe image reference this build uses (for mirroring)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintln(streams.Out, version.ProbeImage(registry))
			return nil
		},
	}
	cmd.Flags().StringVar(&registry, "registry", "", "print the reference under this registry instead")
	return cmd
}

func newCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin version and its probe image",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(streams.Out, "kubectl-netcheck %s\nprobe image: %s\n", version.Version, version.ProbeImage(""))
			return nil
		},
	}
}
