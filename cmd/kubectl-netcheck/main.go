// Command kubectl-netcheck is the kubectl plugin. All logic lives in pkg/plugin;
// main wires the streams and signals and maps the result to an exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	// Ctrl-C cancels the run: the exec stream ends and the agent idles out by itself.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	quietClientGoOnceInterrupted(ctx)
	err := plugin.NewCmdNetcheck(streams).ExecuteContext(ctx)
	stop()
	os.Exit(plugin.HandleError(streams.ErrOut, err))
}

// quietClientGoOnceInterrupted routes client-go's klog lines through a
// filter that drops them once the run is interrupted: every request then in
// flight ends with "context canceled", which klog prints as an error, while
// the run itself says what it stopped and what it cleaned up. The check is
// made as each line is written, not by a goroutine muting klog after the
// signal: a request observes the cancellation only after ctx is done, so no
// such line can slip out first. (klog.SetOutput cannot do this: klog writes
// errors to os.Stderr itself, past any output it is given.)
func quietClientGoOnceInterrupted(ctx context.Context) {
	klog.SetLoggerWithOptions(logr.Discard(), klog.WriteKlogBuffer(func(line []byte) {
		if ctx.Err() == nil {
			_, _ = os.Stderr.Write(line)
		}
	}))
}
