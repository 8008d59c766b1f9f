package nsscan

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri"
)

// Capabilities beyond the probes package's: opening other processes'
// /proc/PID/ns/net needs CAP_SYS_PTRACE, setns(2) needs CAP_SYS_ADMIN.
const (
	CapSysAdmin  probes.Capability = "CAP_SYS_ADMIN"
	CapSysPtrace probes.Capability = "CAP_SYS_PTRACE"
)

// Check is the "nsscan" probe check. It must run on the node: hostPID (to see
// every process), the node's /proc, and the sysadmin-style privileges above;
// hostNetwork makes the probe's own namespace the node's, which the scan then
// marks Host and never calls leaked.
//
// Ownership (which namespace is a live pod's) comes from NSScanSpec.Pods, the
// API server's pods on the node, when the request has them, completed and
// cross-checked with the runtime's sandboxes when CRI answers; from CRI alone
// without API pods. The probe ships with criclient.ListSandboxes; with the
// runtime out of reach the scan goes on with the API pods alone.
type Check struct {
	CRI SandboxLister
}

// SandboxLister lists every pod sandbox the container runtime knows
// (criclient.ListSandboxes). source says where they came from; an error says
// why the runtime could not be asked.
type SandboxLister func(ctx context.Context, procRoot, hostRoot, socket string) (sandboxes []cri.Sandbox, source string, err error)

var _ probes.Check = Check{}

func (Check) Name() string { return v1alpha1.CheckNSScan }

func (Check) Requirements() probes.Requirements {
	return probes.Requirements{Capabilities: []probes.Capability{CapSysAdmin, CapSysPtrace}}
}

// Run scans, analyses and classifies. Any IP held by two namespaces fails the
// check; leaked namespaces or orphaned shims without a duplicate warn.
func (c Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	if spec.NSScan == nil {
		return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: "nsscan check without an nsscan spec"}
	}
	if progress == nil {
		progress = func(string) {}
	}
	res, err := run(ctx, spec.NSScan, progress, c.CRI)
	if err != nil {
		return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: err.Error()}
	}
	status, summary := classify(res)
	return v1alpha1.CheckResult{Status: status, Summary: summary, NSScan: res}
}

// classify turns the evidence into the check's status and one-line summary.
func classify(r *v1alpha1.NSScanResult) (v1alpha1.Status, string) {
	var dups []v1alpha1.DuplicateIP
	for _, d := range r.Duplicates {
		if len(d.Holders) > 1 {
			dups = append(dups, d)
		}
	}
	ownership := ""
	if !r.SandboxesKnown {
		ownership = "; pod ownership unknown (" + r.SandboxSource + "), leaks not judged"
	}
	switch {
	case len(dups) > 0:
		extra := ""
		if len(dups) > 1 {
			extra = fmt.Sprintf(" (+%d more duplicate IPs)", len(dups)-1)
		}
		return v1alpha1.StatusFail, dups[0].Summary + extra + ownership
	case len(r.Leaked) > 0 || len(r.OrphanShims) > 0:
		var parts []string
		if len(r.Leaked) > 0 {
			l := r.Leaked[0]
			parts = append(parts, fmt.Sprintf("%d leaked network namespaces (e.g. net:[%d] %s: %s)",
				len(r.Leaked), l.Inode, strings.Join(l.Addrs, ","), l.Reason))
		}
		if len(r.OrphanShims) > 0 {
			s := r.OrphanShims[0]
			parts = append(parts, fmt.Sprintf("%d orphaned shims (e.g. pid %d %s, ppid %d, sandbox %.13s gone)",
				len(r.OrphanShims), s.PID, s.Comm, s.PPID, s.SandboxID))
		}
		return v1alpha1.StatusWarn, fmt.Sprintf("%d network namespaces; ", r.NamespaceCount) + strings.Join(parts, "; ")
	}
	return v1alpha1.StatusPass, fmt.Sprintf("%d network namespaces, no IP held twice, no leaked namespace%s",
		r.NamespaceCount, ownership)
}
