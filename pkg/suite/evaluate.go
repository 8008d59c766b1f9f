package suite

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
)

// inconclusiveIDs are the findings that mean "not tested" (as in diagnose.Decide).
var inconclusiveIDs = []string{diagnose.IDCheckError, diagnose.IDCheckMissing, diagnose.IDCheckFailedUnexplained}

// Evaluate judges every target of c in rep, the report of c's run, in the
// order the check lists them.
//
// reachable: the target passes netcheck's diagnosis. A fault finding about the
// target (by its label or the checks it cites) fails it, and so does a fault
// that names no target at all; an errored or missing check makes it inconclusive.
//
// blocked: judged by the TCP connects alone, to every address netcheck dials
// for the target (a Service's ClusterIP and each ready endpoint). Met when
// every attempt was refused, timed out or was unreachable; failed as soon as
// one attempt connected (ok, or reset after connecting); inconclusive when an
// address has no result, a check errored, or the target has no TCP port. DNS
// and ICMP results and findings play no part, so a broken DNS cannot make a
// path look closed.
func Evaluate(c Check, rep *v1alpha1.Report) []v1alpha1.TargetOutcome {
	out := make([]v1alpha1.TargetOutcome, 0, len(c.Targets))
	for i, spec := range c.Targets {
		t, ok := resolvedTarget(rep, i, spec.Raw)
		if !ok {
			out = append(out, v1alpha1.TargetOutcome{Target: spec.Raw, Outcome: v1alpha1.OutcomeInconclusive,
				Message: "the report has no resolved target " + spec.Raw})
			continue
		}
		if c.Expect == v1alpha1.ExpectBlocked {
			out = append(out, blocked(t, rep))
		} else {
			out = append(out, reachable(t, rep))
		}
	}
	return out
}

// resolvedTarget is the report's target i, which the engine keeps in --to order.
func resolvedTarget(rep *v1alpha1.Report, i int, raw string) (v1alpha1.Target, bool) {
	if rep == nil {
		return v1alpha1.Target{}, false
	}
	if i < len(rep.Targets) && rep.Targets[i].Spec == raw {
		return rep.Targets[i], true
	}
	for _, t := range rep.Targets {
		if t.Spec == raw {
			return t, true
		}
	}
	return v1alpha1.Target{}, false
}

func reachable(t v1alpha1.Target, rep *v1alpha1.Report) v1alpha1.TargetOutcome {
	o := v1alpha1.TargetOutcome{Target: t.Spec}
	mine := resultsOf(t, rep)
	var faults, inconclusive []v1alpha1.Finding
	for _, f := range rep.Findings {
		if !findingConcerns(f, t, rep) {
			continue
		}
		switch {
		case f.Severity == v1alpha1.SeverityFault:
			faults = append(faults, f)
		case slices.Contains(inconclusiveIDs, f.ID):
			inconclusive = append(inconclusive, f)
		}
	}
	switch {
	case len(faults) > 0:
		o.Outcome = v1alpha1.OutcomeFailed
		for _, f := range faults {
			o.FindingIDs = append(o.FindingIDs, f.ID)
		}
		o.Message = "expected reachable, but " + findingLine(faults)
	case len(inconclusive) > 0:
		o.Outcome = v1alpha1.OutcomeInconclusive
		o.Message = findingLine(inconclusive)
	case len(mine) == 0:
		o.Outcome = v1alpha1.OutcomeInconclusive
		o.Message = "no check ran for this target"
	default:
		for _, r := range mine {
			if r.Status == v1alpha1.StatusError {
				o.Outcome = v1alpha1.OutcomeInconclusive
				o.Message = fmt.Sprintf("%s check could not run: %s", r.Check, firstNonEmpty(r.Error, r.Summary))
				return o
			}
		}
		o.Outcome = v1alpha1.OutcomeMet
		o.Message = fmt.Sprintf("reachable: %s passed, no fault found", plural(len(mine), "check", "checks"))
	}
	return o
}

func findingLine(fs []v1alpha1.Finding) string {
	s := fs[0].ID + ": " + fs[0].Summary
	if len(fs) > 1 {
		s += fmt.Sprintf(" (+%s)", plural(len(fs)-1, "more finding", "more findings"))
	}
	return s
}

// findingConcerns: f is about t when its target label or one of the results
// it cites belongs to t. A finding that belongs to no target of the report
// (the source pod's own view) concerns every target.
func findingConcerns(f v1alpha1.Finding, t v1alpha1.Target, rep *v1alpha1.Report) bool {
	concerns := func(t v1alpha1.Target) bool {
		if labelOf(f.Target, t.Spec) {
			return true
		}
		for _, r := range resultsOf(t, rep) {
			if slices.Contains(f.CheckIDs, r.ID) {
				return true
			}
		}
		return false
	}
	if concerns(t) {
		return true
	}
	for _, other := range rep.Targets {
		if concerns(other) {
			return false
		}
	}
	return true
}

// resultsOf are the results planned for t: labelled with its spec, or TCP to
// one of its addresses (two targets sharing an address share one check,
// labelled by the first).
func resultsOf(t v1alpha1.Target, rep *v1alpha1.Report) []v1alpha1.CheckResult {
	addrs := plan.TCPAddresses(t)
	var out []v1alpha1.CheckResult
	for _, r := range rep.Results {
		if labelOf(r.Target, t.Spec) || (r.TCP != nil && slices.Contains(addrs, normaliseAddr(r.TCP.Address))) {
			out = append(out, r)
		}
	}
	return out
}

// labelOf: plan labels a target's checks with its spec, alone or followed by a space.
func labelOf(label, spec string) bool {
	return spec != "" && (label == spec || strings.HasPrefix(label, spec+" "))
}

func blocked(t v1alpha1.Target, rep *v1alpha1.Report) v1alpha1.TargetOutcome {
	o := v1alpha1.TargetOutcome{Target: t.Spec}
	addrs := plan.TCPAddresses(t)
	if len(addrs) == 0 {
		o.Outcome = v1alpha1.OutcomeInconclusive
		o.Message = "no TCP port to connect to: expect blocked judges TCP connects, so give the target a port"
		return o
	}
	var open, closed, unknown []string
	for _, addr := range addrs {
		res := tcpResult(rep, addr)
		if res == nil {
			unknown = append(unknown, addr+": no TCP result")
			continue
		}
		connected, closedCount, errored := tally(res.TCP)
		total := len(res.TCP.Attempts)
		switch {
		case connected > 0:
			open = append(open, fmt.Sprintf("%s connected %d of %d", addr, connected, total))
		case res.Status == v1alpha1.StatusError || errored > 0 || total == 0:
			unknown = append(unknown, fmt.Sprintf("%s: %s", addr, firstNonEmpty(res.Error, res.Summary, "no attempts")))
		default:
			closed = append(closed, fmt.Sprintf("%s %s", addr, closedSummary(res.TCP, closedCount)))
		}
	}
	switch {
	case len(open) > 0:
		o.Outcome = v1alpha1.OutcomeFailed
		o.Message = "expected blocked, but " + strings.Join(open, "; ")
	case len(unknown) > 0:
		o.Outcome = v1alpha1.OutcomeInconclusive
		o.Message = "cannot tell whether the path is closed: " + strings.Join(unknown, "; ")
	default:
		o.Outcome = v1alpha1.OutcomeMet
		o.Message = "blocked: " + strings.Join(closed, "; ")
		if t.Kind == "service" && !hasReadyEndpoint(t) {
			o.Message += " (the Service has no ready endpoint, so it is closed whatever the policy)"
		}
	}
	return o
}

// tally counts a TCP result's attempts: connected (ok, or reset after the
// handshake: something accepted the connection), closed (refused, timeout,
// unreachable) and errored (the probe could not even try).
func tally(r *v1alpha1.TCPResult) (connected, closed, errored int) {
	for _, a := range r.Attempts {
		switch a.Outcome {
		case v1alpha1.TCPOK, v1alpha1.TCPReset:
			connected++
		case v1alpha1.TCPRefused, v1alpha1.TCPTimeout, v1alpha1.TCPUnreachable:
			closed++
		default:
			errored++
		}
	}
	return connected, closed, errored
}

func closedSummary(r *v1alpha1.TCPResult, closed int) string {
	var parts []string
	for _, oc := range []v1alpha1.TCPOutcome{v1alpha1.TCPRefused, v1alpha1.TCPTimeout, v1alpha1.TCPUnreachable} {
		n := 0
		for _, a := range r.Attempts {
			if a.Outcome == oc {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, oc))
		}
	}
	return fmt.Sprintf("%d of %d closed (%s)", closed, len(r.Attempts), strings.Join(parts, ", "))
}

func tcpResult(rep *v1alpha1.Report, addr string) *v1alpha1.CheckResult {
	for i := range rep.Results {
		if r := &rep.Results[i]; r.TCP != nil && normaliseAddr(r.TCP.Address) == addr {
			return r
		}
	}
	return nil
}

func hasReadyEndpoint(t v1alpha1.Target) bool {
	for _, ep := range t.Endpoint {
		if ep.Ready {
			return true
		}
	}
	return false
}

// normaliseAddr writes "ip:port" canonically, as plan.TCPAddresses does.
func normaliseAddr(a string) string {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(h); ip != nil {
		h = ip.String()
	}
	return net.JoinHostPort(h, p)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
