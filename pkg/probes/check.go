// Package probes holds the checks the netcheck-probe agent runs and the runner
// that turns a ProbeRequest into a stream of events. A check knows nothing about
// Kubernetes: it gets a spec, works in the network namespace it runs in, and
// returns a result with evidence and timings.
package probes

import (
	"context"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Capability is a Linux capability a check needs.
type Capability string

const (
	CapNetRaw   Capability = "CAP_NET_RAW"
	CapNetAdmin Capability = "CAP_NET_ADMIN"
)

// Requirements say what a check needs to run.
type Requirements struct {
	Capabilities []Capability
}

// Progress lets a long check report before it ends; it is safe to call from any goroutine.
type Progress func(message string)

// Check is one kind of probe (tcp, icmp, dns, netinfo).
type Check interface {
	Name() string
	Requirements() Requirements
	// Run executes spec (whose Check equals Name()) and returns its result. Run fills
	// Status, Summary and the evidence; the runner fills ID, Check, Target and timings.
	// A check that cannot run returns StatusError with Error set rather than panicking.
	Run(ctx context.Context, spec v1alpha1.CheckSpec, progress Progress) v1alpha1.CheckResult
}
