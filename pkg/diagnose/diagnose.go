// Package diagnose turns evidence into findings. It is pure: a Report's resolution
// facts and check results in, findings and a verdict out; no I/O, no cluster.
//
// Each rule lives in its own rule_*.go file. Rules run in a fixed order, most
// specific first: a rule that explains an address (say, a pod listening on
// loopback only) claims it, and the generic rules that run later (endpoint
// refused, connection refused) skip claimed addresses, so one fault yields one
// finding with the most precise cause instead of several unrelated ones.
package diagnose

import (
	"fmt"
	"sort"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// rule is one diagnosis step; it reads d.ix and adds findings to d.
type rule func(d *diagnosis)

// rules in the order they run; the order is the precedence described above.
var rules = []rule{
	// The Service's own definition first: with no ready backend (or a selector
	// that matches nothing) nothing can succeed, and what the nodes show for it
	// (kube-proxy's "has no endpoints" REJECT, rate-limited so some probes go
	// silent) is that cause's evidence, not a node fault.
	ruleServiceBackends,
	// Node-mode rules next: node state (nsscan, nodeinfo) and traces name a
	// cause more precisely than the pod view's symptoms, so they claim the
	// addresses they explain.
	rulePodIPConflict,
	ruleKubeProxyRules,
	ruleBridgeNFCallOff,
	ruleIPForwardDisabled,
	ruleVXLANPeerMismatch,
	ruleVXLANSourceMismatch,
	ruleNodeFirewall,
	rulePodMasquerade,
	ruleOverlayMTU,
	ruleLeakedNetns,
	ruleConntrackTableFull, // after the rules naming a precise rule or setting: a full table drops anything new
	ruleTraceDropped,       // after the node rules: the generic "vanished here" for traces nothing explained

	rulePortListener,
	ruleAllEndpointsDead,
	ruleEndpointDead,
	ruleFrontExplainedByEndpoints,
	ruleTargetPortUndeclared,
	ruleTCPIntermittent,
	ruleTCPTarget,
	ruleICMPReachability,
	ruleMTU,
	ruleDNSResolvConf,
	ruleDNSTransport,
	ruleDNSServers,
	ruleDNSReplica,
	ruleDNSNXDomain,
	ruleTraceAttach, // traces of addresses explained above become their evidence
	// Before the check errors: the checks that could not run for want of a
	// node pod are its evidence, not errors of their own.
	ruleNodeViewUnavailable,
	ruleCheckErrors,
	ruleCheckMissing,
	ruleCheckFailedUnexplained, // last: it looks for failed results no other rule used
}

// diagnosis is the state rules share while one report is diagnosed.
type diagnosis struct {
	ix       *index
	nodes    *nodes
	findings []v1alpha1.Finding
	// claimed maps a key (a TCP "ip:port", or "dns:<server>") to the finding that explains it.
	claimed map[string]int
	// absorbed are errored results a finding already accounts for (by result
	// ID); ruleCheckErrors leaves them out.
	absorbed map[string]bool
}

// Diagnose returns the findings the report's targets and results support, most severe first.
func Diagnose(r *v1alpha1.Report) []v1alpha1.Finding {
	if r == nil {
		return nil
	}
	d := &diagnosis{ix: newIndex(r), nodes: newNodes(r), claimed: map[string]int{}, absorbed: map[string]bool{}}
	for _, run := range rules {
		run(d)
	}
	sort.SliceStable(d.findings, func(i, j int) bool {
		return severityRank(d.findings[i].Severity) < severityRank(d.findings[j].Severity)
	})
	return d.findings
}

// newFinding starts a finding of catalogue entry id with its default severity and fix.
func newFinding(id string) v1alpha1.Finding {
	e, ok := Lookup(id)
	if !ok {
		panic(fmt.Sprintf("diagnose: finding %q is not in the catalogue", id)) // a programming error, caught by tests
	}
	return v1alpha1.Finding{ID: id, Severity: e.Severity, Fix: e.Fix}
}

// add records f and returns its position, for claims and later amendments.
func (d *diagnosis) add(f v1alpha1.Finding) int {
	d.findings = append(d.findings, f)
	return len(d.findings) - 1
}

func (d *diagnosis) claim(key string, finding int) {
	if _, ok := d.claimed[key]; !ok {
		d.claimed[key] = finding
	}
}

func (d *diagnosis) isClaimed(key string) bool {
	_, ok := d.claimed[key]
	return ok
}

// amend adds evidence and check IDs to an existing finding.
func (d *diagnosis) amend(finding int, evidence []string, checkIDs []string) {
	f := &d.findings[finding]
	f.Evidence = append(f.Evidence, evidence...)
	f.CheckIDs = appendUnique(f.CheckIDs, checkIDs...)
}

func severityRank(s v1alpha1.Severity) int {
	switch s {
	case v1alpha1.SeverityFault:
		return 0
	case v1alpha1.SeverityWarning:
		return 1
	default:
		return 2
	}
}

func appendUnique(dst []string, more ...string) []string {
	for _, m := range more {
		seen := false
		for _, d := range dst {
			if d == m {
				seen = true
				break
			}
		}
		if !seen {
			dst = append(dst, m)
		}
	}
	return dst
}
