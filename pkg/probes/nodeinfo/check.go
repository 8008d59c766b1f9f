//go:build linux

package nodeinfo

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// Check is the nodeinfo check. The zero value describes the probe's own
// network namespace, which is the node's in the hostNetwork node pod.
type Check struct {
	// Netns, when set, is the path of another network namespace to describe
	// (e.g. /run/netns/x): the tests point it at namespaces they build.
	Netns string
}

var _ probes.Check = (*Check)(nil)

// Name implements probes.Check.
func (*Check) Name() string { return v1alpha1.CheckNodeInfo }

// Requirements implements probes.Check: every nfnetlink request, reads
// included, needs CAP_NET_ADMIN; the rest is readable without privileges.
func (*Check) Requirements() probes.Requirements {
	return probes.Requirements{Capabilities: []probes.Capability{probes.CapNetAdmin}}
}

// Run implements probes.Check. Parts that cannot be read go to Errors; only a
// namespace that cannot be opened at all fails the check.
func (c *Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	var s v1alpha1.NodeInfoSpec
	if spec.NodeInfo != nil {
		s = *spec.NodeInfo
	}
	res, err := Snapshot(ctx, s, c.Netns)
	if err != nil {
		return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: err.Error()}
	}
	status, summary := classify(res)
	return v1alpha1.CheckResult{Status: status, Summary: summary, NodeInfo: res}
}

// classify keeps the check descriptive: a one-line inventory, and a warning for
// the single fact that breaks every routed pod packet.
func classify(r *v1alpha1.NodeInfoResult) (v1alpha1.Status, string) {
	var parts []string
	fwd, ok := r.Sysctls[v1alpha1.SysctlIPForward]
	if ok {
		parts = append(parts, "ip_forward="+fwd)
	} else {
		parts = append(parts, "ip_forward unreadable")
	}
	parts = append(parts, fmt.Sprintf("%d links", len(r.Links)))
	if r.Firewall != nil {
		rules := 0
		for _, t := range r.Firewall.Tables {
			for _, c := range t.Chains {
				rules += len(c.Rules)
			}
		}
		parts = append(parts, fmt.Sprintf("%d tables/%d rules", len(r.Firewall.Tables), rules))
	}
	if r.Conntrack != nil {
		parts = append(parts, conntrackSummary(r.Conntrack))
	}
	if len(r.Errors) > 0 {
		parts = append(parts, fmt.Sprintf("%d parts unreadable (%s)", len(r.Errors), r.Errors[0]))
	}
	summary := strings.Join(parts, ", ")
	if r.Phase != "" {
		summary = r.Phase + ": " + summary
	}
	if fwd == "0" {
		return v1alpha1.StatusWarn, summary + "; ip_forward=0: this node routes no pod traffic"
	}
	return v1alpha1.StatusPass, summary
}

// conntrackSummary is the table's fill and, when any is non-zero, the failure
// counters (since the namespace began; the plugin shows the run's rise).
func conntrackSummary(c *v1alpha1.ConntrackStats) string {
	s := fmt.Sprintf("conntrack %d/%d", c.Count, c.Max)
	if c.Drop+c.EarlyDrop+c.InsertFailed > 0 {
		s += fmt.Sprintf(" (drop %d, early_drop %d, insert_failed %d)", c.Drop, c.EarlyDrop, c.InsertFailed)
	}
	return s
}
