package plugin

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// completionTimeout keeps a slow or unreachable cluster from hanging the shell.
const completionTimeout = 3 * time.Second

// completeSource offers pod names and deploy/NAME.
func (o *Options) completeSource(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	client, ns, ok := o.completionClient()
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	if strings.HasPrefix(toComplete, "deploy/") {
		return withPrefix("deploy/", deploymentNames(ctx, client, ns), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	names := withPrefix("", podNames(ctx, client, ns), toComplete)
	if strings.HasPrefix("deploy/", toComplete) {
		names = append(names, "deploy/")
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeTarget offers svc/NAME and pod/NAME in the namespace, and the kind
// prefixes while no kind is typed yet.
func (o *Options) completeTarget(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	client, ns, ok := o.completionClient()
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	return TargetCompletions(toComplete,
		func() []string { return serviceNames(ctx, client, ns) },
		func() []string { return podNames(ctx, client, ns) },
	), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// TargetCompletions is the pure part of --to completion: it only lists what
// the typed prefix can still become.
func TargetCompletions(toComplete string, services, pods func() []string) []string {
	switch {
	case strings.HasPrefix(toComplete, "svc/"):
		return withPrefix("svc/", services(), toComplete)
	case strings.HasPrefix(toComplete, "pod/"):
		return withPrefix("pod/", pods(), toComplete)
	}
	var out []string
	for _, kind := range []string{"svc/", "pod/", "dns/"} {
		if strings.HasPrefix(kind, toComplete) {
			out = append(out, kind)
		}
	}
	return out
}

func withPrefix(prefix string, names []string, toComplete string) []string {
	var out []string
	for _, n := range names {
		if c := prefix + n; strings.HasPrefix(c, toComplete) {
			out = append(out, c)
		}
	}
	return out
}

func (o *Options) completionClient() (kubernetes.Interface, string, bool) {
	ns, _, err := o.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", false
	}
	if o.Client != nil {
		return o.Client, ns, true
	}
	cfg, err := o.configFlags.ToRESTConfig()
	if err != nil {
		return nil, "", false
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", false
	}
	return client, ns, true
}

func podNames(ctx context.Context, c kubernetes.Interface, ns string) []string {
	list, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	return names
}

func serviceNames(ctx context.Context, c kubernetes.Interface, ns string) []string {
	list, err := c.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	return names
}

func deploymentNames(ctx context.Context, c kubernetes.Interface, ns string) []string {
	list, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var names []string
	for _, d := range list.Items {
		names = append(names, d.Name)
	}
	return names
}
