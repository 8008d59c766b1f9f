// Command kubectl-netcheck is the kubectl plugin. All logic lives in pkg/plugin;
// main wires the streams and signals and maps the result to an exit code.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	// Ctrl-C cancels the run: the exec stream ends and the agent idles out by itself.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go quietClientGoWhenInterrupted(ctx)
	err := plugin.NewCmdNetcheck(streams).ExecuteContext(ctx)
	stop()
	os.Exit(plugin.HandleError(streams.ErrOut, err))
}

// quietClientGoWhenInterrupted mutes client-go's klog lines once the run is
// interrupted: every request then in flight ends with "context canceled",
// which klog prints as an error, while the run itself says what it stopped
// and what it cleaned up.
func quietClientGoWhenInterrupted(ctx context.Context) {
	<-ctx.Done()
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
}
