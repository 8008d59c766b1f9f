package suite

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// webTarget is svc/web: ClusterIP 10.96.0.50:80 in front of two ready endpoints.
func webTarget() v1alpha1.Target {
	return v1alpha1.Target{
		Spec: "svc/web", Kind: "service", Namespace: "default", Name: "web", IPs: []string{"10.96.0.50"},
		Port: 80, Protocol: "TCP",
		Endpoint: []v1alpha1.Endpoint{
			{IP: "10.244.0.11", Port: 8080, Ready: true, Pod: "web-1", Node: "node1"},
			{IP: "10.244.1.12", Port: 8080, Ready: true, Pod: "web-2", Node: "node2"},
		},
	}
}

// tcp is a TCP result to addr with the attempts' outcomes in order.
func tcp(label, addr string, outcomes ...v1alpha1.TCPOutcome) v1alpha1.CheckResult {
	r := v1alpha1.CheckResult{ID: "tcp:" + addr, Check: "tcp", Target: label, Status: v1alpha1.StatusPass,
		TCP: &v1alpha1.TCPResult{Address: addr, Counts: map[v1alpha1.TCPOutcome]int{}}}
	for i, o := range outcomes {
		r.TCP.Attempts = append(r.TCP.Attempts, v1alpha1.TCPAttempt{Seq: i, Outcome: o})
		r.TCP.Counts[o]++
		if o != v1alpha1.TCPOK {
			r.Status = v1alpha1.StatusFail
		}
	}
	return r
}

func repeat(o v1alpha1.TCPOutcome, n int) []v1alpha1.TCPOutcome {
	out := make([]v1alpha1.TCPOutcome, n)
	for i := range out {
		out[i] = o
	}
	return out
}

const (
	ok      = v1alpha1.TCPOK
	refused = v1alpha1.TCPRefused
	timeout = v1alpha1.TCPTimeout
	reset   = v1alpha1.TCPReset
	unreach = v1alpha1.TCPUnreachable
)

// webResults: every address of svc/web answered with outcomes, DNS passed.
func webResults(front, ep1, ep2 []v1alpha1.TCPOutcome) []v1alpha1.CheckResult {
	return []v1alpha1.CheckResult{
		tcp("svc/web ClusterIP 10.96.0.50:80", "10.96.0.50:80", front...),
		tcp("svc/web endpoint 10.244.0.11:8080 (pod web-1, node node1)", "10.244.0.11:8080", ep1...),
		tcp("svc/web endpoint 10.244.1.12:8080 (pod web-2, node node2)", "10.244.1.12:8080", ep2...),
		{ID: "dns:web", Check: "dns", Target: "svc/web", Status: v1alpha1.StatusPass},
		{ID: "netinfo:default/client", Check: "netinfo", Target: "pod default/client", Status: v1alpha1.StatusPass},
	}
}

func finding(id string, sev v1alpha1.Severity, target string, checks ...string) v1alpha1.Finding {
	return v1alpha1.Finding{ID: id, Severity: sev, Summary: target + ": " + id, Target: target, CheckIDs: checks}
}

func check(expect v1alpha1.Expectation, targets ...string) Check {
	c := Check{SuiteCheck: v1alpha1.SuiteCheck{Name: "c", Source: "client", Targets: targets, Expect: expect}}
	for _, raw := range targets {
		spec, err := target.Parse(raw)
		if err != nil {
			panic(err)
		}
		c.Targets = append(c.Targets, spec)
	}
	return c
}

func TestEvaluateBlocked(t *testing.T) {
	all := func(o v1alpha1.TCPOutcome) []v1alpha1.TCPOutcome { return repeat(o, 4) }
	noEndpoints := webTarget()
	noEndpoints.Endpoint[0].Ready, noEndpoints.Endpoint[1].Ready = false, false
	for _, tc := range []struct {
		name     string
		target   v1alpha1.Target
		results  []v1alpha1.CheckResult
		findings []v1alpha1.Finding
		want     v1alpha1.TargetOutcome
	}{
		{
			name:    "every connect refused: met",
			target:  webTarget(),
			results: webResults(all(refused), all(refused), all(refused)),
			findings: []v1alpha1.Finding{finding(diagnose.IDServiceEndpointsAllRefused, v1alpha1.SeverityFault, "svc/web",
				"tcp:10.96.0.50:80", "tcp:10.244.0.11:8080", "tcp:10.244.1.12:8080")},
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeMet,
				Message: "blocked: 10.96.0.50:80 4 of 4 closed (4 refused); 10.244.0.11:8080 4 of 4 closed (4 refused); 10.244.1.12:8080 4 of 4 closed (4 refused)"},
		},
		{
			name:    "refused, timed out and unreachable mixed: met",
			target:  webTarget(),
			results: webResults([]v1alpha1.TCPOutcome{refused, timeout, timeout, unreach}, all(timeout), all(unreach)),
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeMet,
				Message: "blocked: 10.96.0.50:80 4 of 4 closed (1 refused, 2 timeout, 1 unreachable); 10.244.0.11:8080 4 of 4 closed (4 timeout); " +
					"10.244.1.12:8080 4 of 4 closed (4 unreachable)"},
		},
		{
			name:    "one endpoint open behind a closed ClusterIP: failed, naming it",
			target:  webTarget(),
			results: webResults(all(refused), all(refused), []v1alpha1.TCPOutcome{refused, ok, refused, ok}),
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeFailed,
				Message: "expected blocked, but 10.244.1.12:8080 connected 2 of 4"},
		},
		{
			name:    "a reset after connecting is open",
			target:  webTarget(),
			results: webResults(all(refused), all(refused), []v1alpha1.TCPOutcome{reset, refused, refused, refused}),
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeFailed,
				Message: "expected blocked, but 10.244.1.12:8080 connected 1 of 4"},
		},
		{
			name:     "all open: failed even with a DNS fault",
			target:   webTarget(),
			results:  webResults(all(ok), all(ok), all(ok)),
			findings: []v1alpha1.Finding{finding(diagnose.IDDNSAllServersFailing, v1alpha1.SeverityFault, "svc/web", "dns:web")},
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeFailed,
				Message: "expected blocked, but 10.96.0.50:80 connected 4 of 4; 10.244.0.11:8080 connected 4 of 4; 10.244.1.12:8080 connected 4 of 4"},
		},
		{
			name:    "an address without a result: inconclusive, never met",
			target:  webTarget(),
			results: webResults(all(refused), all(refused), all(refused))[:2],
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeInconclusive,
				Message: "cannot tell whether the path is closed: 10.244.1.12:8080: no TCP result"},
		},
		{
			name:   "an errored TCP check: inconclusive",
			target: webTarget(),
			results: func() []v1alpha1.CheckResult {
				rs := webResults(all(refused), all(refused), nil)
				rs[2].Status, rs[2].Error = v1alpha1.StatusError, "probe: socket: operation not permitted"
				return rs
			}(),
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeInconclusive,
				Message: "cannot tell whether the path is closed: 10.244.1.12:8080: probe: socket: operation not permitted"},
		},
		{
			name:    "a Service without ready endpoints is closed, and the message says why",
			target:  noEndpoints,
			results: webResults(all(refused), nil, nil)[:1],
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeMet,
				Message: "blocked: 10.96.0.50:80 4 of 4 closed (4 refused) (the Service has no ready endpoint, so it is closed whatever the policy)"},
		},
		{
			name:   "a pod without a port: inconclusive",
			target: v1alpha1.Target{Spec: "svc/web", Kind: "pod", IPs: []string{"10.244.1.12"}},
			want: v1alpha1.TargetOutcome{Target: "svc/web", Outcome: v1alpha1.OutcomeInconclusive,
				Message: "no TCP port to connect to: expect blocked judges TCP connects, so give the target a port"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &v1alpha1.Report{Targets: []v1alpha1.Target{tc.target}, Results: tc.results, Findings: tc.findings}
			got := Evaluate(check(v1alpha1.ExpectBlocked, "svc/web"), rep)
			if diff := cmp.Diff([]v1alpha1.TargetOutcome{tc.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateReachable(t *testing.T) {
	all := func(o v1alpha1.TCPOutcome) []v1alpha1.TCPOutcome { return repeat(o, 4) }
	dnsTarget := v1alpha1.Target{Spec: "dns/api.shop", Kind: "dns", Name: "api.shop"}
	dnsResult := v1alpha1.CheckResult{ID: "dns:api.shop", Check: "dns", Target: "dns/api.shop", Status: v1alpha1.StatusPass}
	for _, tc := range []struct {
		name     string
		results  []v1alpha1.CheckResult
		findings []v1alpha1.Finding
		want     []v1alpha1.TargetOutcome
	}{
		{
			name:    "healthy: met",
			results: append(webResults(all(ok), all(ok), all(ok)), dnsResult),
			want: []v1alpha1.TargetOutcome{
				{Target: "svc/web", Outcome: v1alpha1.OutcomeMet, Message: "reachable: 4 checks passed, no fault found"},
				{Target: "dns/api.shop", Outcome: v1alpha1.OutcomeMet, Message: "reachable: 1 check passed, no fault found"},
			},
		},
		{
			name:    "a fault about one target fails that target only, naming the finding",
			results: append(webResults(all(ok), all(ok), all(refused)), dnsResult),
			findings: []v1alpha1.Finding{
				finding(diagnose.IDEndpointRefused, v1alpha1.SeverityFault, "svc/web", "tcp:10.244.1.12:8080"),
				finding(diagnose.IDDNSNdotsExpansion, v1alpha1.SeverityWarning, "dns/api.shop", "dns:api.shop"),
			},
			want: []v1alpha1.TargetOutcome{
				{Target: "svc/web", Outcome: v1alpha1.OutcomeFailed, Message: "expected reachable, but endpoint-refused: svc/web: endpoint-refused",
					FindingIDs: []string{diagnose.IDEndpointRefused}},
				{Target: "dns/api.shop", Outcome: v1alpha1.OutcomeMet, Message: "reachable: 1 check passed, no fault found"},
			},
		},
		{
			name:    "a finding cited only by check ID is attributed through the result",
			results: append(webResults(all(ok), all(ok), all(ok)), dnsResult),
			findings: []v1alpha1.Finding{
				finding(diagnose.IDDNSReplicaFailing, v1alpha1.SeverityFault, "", "dns:api.shop"),
			},
			want: []v1alpha1.TargetOutcome{
				{Target: "svc/web", Outcome: v1alpha1.OutcomeMet, Message: "reachable: 4 checks passed, no fault found"},
				{Target: "dns/api.shop", Outcome: v1alpha1.OutcomeFailed, Message: "expected reachable, but dns-replica-failing: : dns-replica-failing",
					FindingIDs: []string{diagnose.IDDNSReplicaFailing}},
			},
		},
		{
			name:    "a fault about no target fails every target",
			results: append(webResults(all(ok), all(ok), all(ok)), dnsResult),
			findings: []v1alpha1.Finding{
				finding(diagnose.IDHostUnreachable, v1alpha1.SeverityFault, "pod default/client", "netinfo:default/client"),
			},
			want: []v1alpha1.TargetOutcome{
				{Target: "svc/web", Outcome: v1alpha1.OutcomeFailed, Message: "expected reachable, but host-unreachable: pod default/client: host-unreachable",
					FindingIDs: []string{diagnose.IDHostUnreachable}},
				{Target: "dns/api.shop", Outcome: v1alpha1.OutcomeFailed, Message: "expected reachable, but host-unreachable: pod default/client: host-unreachable",
					FindingIDs: []string{diagnose.IDHostUnreachable}},
			},
		},
		{
			name: "an errored check: inconclusive",
			results: append(webResults(all(ok), all(ok), all(ok)), v1alpha1.CheckResult{ID: "dns:api.shop", Check: "dns", Target: "dns/api.shop",
				Status: v1alpha1.StatusError, Error: "no resolv.conf"}),
			findings: []v1alpha1.Finding{finding(diagnose.IDCheckError, v1alpha1.SeverityWarning, "dns/api.shop", "dns:api.shop")},
			want: []v1alpha1.TargetOutcome{
				{Target: "svc/web", Outcome: v1alpha1.OutcomeMet, Message: "reachable: 4 checks passed, no fault found"},
				{Target: "dns/api.shop", Outcome: v1alpha1.OutcomeInconclusive, Message: "check-error: dns/api.shop: check-error"},
			},
		},
		{
			name:    "no result for a target: inconclusive",
			results: webResults(all(ok), all(ok), all(ok)),
			want: []v1alpha1.TargetOutcome{
				{Target: "svc/web", Outcome: v1alpha1.OutcomeMet, Message: "reachable: 4 checks passed, no fault found"},
				{Target: "dns/api.shop", Outcome: v1alpha1.OutcomeInconclusive, Message: "no check ran for this target"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &v1alpha1.Report{Targets: []v1alpha1.Target{webTarget(), dnsTarget}, Results: tc.results, Findings: tc.findings}
			got := Evaluate(check(v1alpha1.ExpectReachable, "svc/web", "dns/api.shop"), rep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Two targets on one address share one check, labelled by the first; the
// second is still judged by that check's connects.
func TestEvaluateSharedAddress(t *testing.T) {
	pod := v1alpha1.Target{Spec: "pod/web-2:8080", Kind: "pod", IPs: []string{"10.244.1.12"}, Port: 8080, Protocol: "TCP"}
	rep := &v1alpha1.Report{
		Targets: []v1alpha1.Target{webTarget(), pod},
		Results: webResults(repeat(refused, 2), repeat(refused, 2), repeat(refused, 2)),
	}
	got := Evaluate(check(v1alpha1.ExpectBlocked, "svc/web", "pod/web-2:8080"), rep)
	if got[1].Outcome != v1alpha1.OutcomeMet || !strings.Contains(got[1].Message, "10.244.1.12:8080 2 of 2 closed") {
		t.Errorf("pod target: %+v", got[1])
	}
}
