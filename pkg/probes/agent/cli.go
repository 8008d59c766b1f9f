//go:build linux

package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/builtin"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// Exit codes of the probe binary. A run that completed exits 0 whatever its
// checks found: the verdict is the plugin's to draw from the events.
const (
	ExitOK          = 0
	ExitUsage       = 2
	ExitCouldNotRun = v1alpha1.ExitCouldNotRun
	ExitInterrupted = 130
)

const usage = `netcheck-probe: the kubectl-netcheck probe.

Usage:
  netcheck-probe agent [--idle-timeout 15m] [--socket @netcheck-agent]
  netcheck-probe run [--request-b64 B64 | --request FILE] [--agent-socket @netcheck-agent]
      (without --request-b64/--request the ProbeRequest JSON is read from stdin; otherwise, when the
      request sets stopOnStdin, a line "stop" on stdin ends its capture-only traces early)
  netcheck-probe version
`

// Streams are the process's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Main runs one subcommand and returns the process exit code. SIGINT and
// SIGTERM cancel the work; a run still emits its done event.
func Main(args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(s.Err, usage)
		return ExitUsage
	}
	switch args[0] {
	case "agent":
		return agentCmd(ctx, args[1:], s)
	case "run":
		return runCmd(ctx, args[1:], s)
	case "version", "--version":
		fmt.Fprintf(s.Out, "netcheck-probe %s (schema %s)\n", version.Version, v1alpha1.APIVersion)
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(s.Out, usage)
		return ExitOK
	}
	fmt.Fprintf(s.Err, "netcheck-probe: unknown subcommand %q\n%s", args[0], usage)
	return ExitUsage
}

func agentCmd(ctx context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	a := Agent{Log: s.Err}
	fs.DurationVar(&a.IdleTimeout, "idle-timeout", 15*time.Minute, "exit after this long without an active run")
	fs.StringVar(&a.Socket, "socket", DefaultSocket, "abstract unix socket (leading @) the runs' heartbeat connects to")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if a.IdleTimeout <= 0 {
		fmt.Fprintln(s.Err, "netcheck-probe agent: --idle-timeout must be positive: the agent must end by itself")
		return ExitUsage
	}
	if err := a.Serve(ctx); err != nil {
		fmt.Fprintf(s.Err, "netcheck-probe agent: %v\n", err)
		return 1
	}
	return ExitOK
}

func runCmd(ctx context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	b64 := fs.String("request-b64", "", "the ProbeRequest JSON, base64-encoded")
	file := fs.String("request", "", "a file holding the ProbeRequest JSON")
	sock := fs.String("agent-socket", DefaultSocket, "the agent's heartbeat socket; a run without an agent just runs")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	req, err := ReadRequest(*b64, *file, s.In)
	if err != nil {
		var verr *v1alpha1.VersionError
		if !errors.As(err, &verr) {
			err = fmt.Errorf("%w (the request must be a %s ProbeRequest)", err, v1alpha1.APIVersion)
		}
		WriteEvent(s.Out, errorEvent(err))
		fmt.Fprintf(s.Err, "netcheck-probe run: %v\n", err)
		return ExitCouldNotRun
	}
	lease, info, err := Attach(ctx, *sock)
	if err != nil {
		fmt.Fprintf(s.Err, "netcheck-probe run: no agent heartbeat (%v); running standalone\n", err)
	} else {
		defer lease.Close()
		fmt.Fprintf(s.Err, "netcheck-probe run: agent says %s\n", info)
	}
	switch {
	case !req.StopOnStdin:
	case *b64 == "" && *file == "":
		// stdin carried the request and is at its end: it cannot also say
		// when to stop, so the captures run their whole windows.
		fmt.Fprintln(s.Err, "netcheck-probe run: stopOnStdin ignored: the request itself came on stdin")
	case s.In != nil:
		ctx = stopOnStdin(ctx, s.In)
	}
	reg, release := builtin.ForRequest(req)
	defer release()
	Run(ctx, reg, req, s.Out)
	if ctx.Err() != nil {
		return ExitInterrupted
	}
	return ExitOK
}

func errorEvent(err error) v1alpha1.Event {
	ev := v1alpha1.NewEvent(v1alpha1.EventError)
	ev.Message = err.Error()
	return ev
}
