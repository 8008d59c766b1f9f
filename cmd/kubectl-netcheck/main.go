// Command kubectl-netcheck is the kubectl plugin. All logic lives in pkg/plugin;
// main wires the streams and signals and maps the result to an exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	// Ctrl-C cancels the run: the exec stream ends and the agent idles out by itself.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := plugin.NewCmdNetcheck(streams).ExecuteContext(ctx)
	stop()
	os.Exit(plugin.HandleError(streams.ErrOut, err))
}
