//go:build linux

// Command netcheck-probe is the kubectl-netcheck probe: the process that runs in
// the ephemeral container (or node pod) and executes checks. All logic lives in
// pkg/probes/agent; it is a static CGO_ENABLED=0 binary for a scratch image.
package main

import (
	"os"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/agent"
)

func main() {
	os.Exit(agent.Main(os.Args[1:], agent.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
