//go:build linux

// Package builtin assembles the checks the netcheck-probe binary ships.
package builtin

import (
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/criclient"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/dns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/icmp"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netinfo"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/nodeinfo"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/nsscan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/tcp"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/trace"
)

// Registry is every check; the pod-view checks run in the probe's own network namespace.
func Registry() probes.Registry { return RegistryIn(nil) }

// RegistryIn is every check with its sockets opened through enter: the node mode
// passes a function that runs fn on a thread switched into the target netns.
// A nil enter runs in the current netns.
func RegistryIn(enter func(fn func() error) error) probes.Registry {
	r := probes.Registry{}
	for _, c := range []probes.Check{
		&tcp.Check{Enter: enter},
		&icmp.Check{Enter: enter},
		&dns.Check{Enter: enter},
		&netinfo.Check{Enter: enter},
		// trace enters namespaces itself (by path or PID), so it takes no hook.
		&trace.Check{},
		// nsscan reads every namespace of the node. Pod ownership comes from
		// the API's pods in the request, cross-checked with the runtime's
		// sandboxes over CRI (this node's kubelet's socket) when it answers.
		nsscan.Check{CRI: criclient.ListSandboxes},
		// nodeinfo describes the node: it runs in the probe's own namespace,
		// which in the hostNetwork node pod is the node's.
		&nodeinfo.Check{},
	} {
		r[c.Name()] = c
	}
	return r
}
