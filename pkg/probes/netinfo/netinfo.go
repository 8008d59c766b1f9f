//go:build linux

// Package netinfo is the probe's view of its own network namespace (the seeds'
// `ip addr`, `ip route`, `ip neigh` and `netstat -lnt`), read through netlink and
// /proc rather than by running tools the scratch image does not have.
package netinfo

import (
	"context"
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// Check is the netinfo check. The zero value reads the current network namespace.
type Check struct {
	// Enter, when set, runs the whole gathering inside a target netns (the node
	// mode locks the thread and setns'es). Gathering is sequential, so every
	// netlink socket and /proc read happens on that one thread.
	Enter func(fn func() error) error
}

var _ probes.Check = (*Check)(nil)

// Name implements probes.Check.
func (*Check) Name() string { return v1alpha1.CheckNetInfo }

// Requirements implements probes.Check: netlink dumps and /proc/net are readable
// without privileges.
func (*Check) Requirements() probes.Requirements { return probes.Requirements{} }

// Run implements probes.Check.
func (c *Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, _ probes.Progress) v1alpha1.CheckResult {
	listeners := spec.NetInfo != nil && spec.NetInfo.Listeners
	var info v1alpha1.NetInfo
	gather := func() (err error) { info, err = Gather(ctx, listeners); return err }
	var err error
	if c.Enter != nil {
		err = c.Enter(gather)
	} else {
		err = gather()
	}
	if err != nil {
		return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: err.Error()}
	}
	summary := fmt.Sprintf("%d interfaces, %d routes, %d neighbours", len(info.Interfaces), len(info.Routes), len(info.Neighbors))
	if listeners {
		summary += fmt.Sprintf(", %d listening sockets", len(info.Listeners))
	}
	return v1alpha1.CheckResult{Status: v1alpha1.StatusPass, Summary: summary, NetInfo: &info}
}

// Gather reads interfaces, routes (all tables), neighbours and, if asked, the
// listening sockets of the calling thread's network namespace.
func Gather(ctx context.Context, listeners bool) (v1alpha1.NetInfo, error) {
	var info v1alpha1.NetInfo
	var err error
	if info.Interfaces, err = Interfaces(); err != nil {
		return info, err
	}
	names := map[int]string{}
	for _, i := range info.Interfaces {
		names[i.Index] = i.Name
	}
	if info.Routes, err = Routes(names); err != nil {
		return info, err
	}
	if info.Neighbors, err = Neighbors(names); err != nil {
		return info, err
	}
	if err := ctx.Err(); err != nil {
		return info, fmt.Errorf("netinfo: %w", err)
	}
	if listeners {
		if info.Listeners, err = Listeners(ProcNetDir()); err != nil {
			return info, err
		}
	}
	return info, nil
}
