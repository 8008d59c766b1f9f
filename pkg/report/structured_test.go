package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestJSONAndYAMLRoundTrip(t *testing.T) {
	want := diagnosed(fx.Busy())
	for format, unmarshal := range map[string]func([]byte, any) error{
		"json": json.Unmarshal,
		"yaml": func(b []byte, v any) error { return yaml.Unmarshal(b, v) },
	} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := Print(&out, format, want); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"netcheck.kubectl.io/v1alpha1", "Report", "listening-on-loopback-only"} {
				if !strings.Contains(out.String(), s) {
					t.Errorf("%s output lacks %q", format, s)
				}
			}
			var got v1alpha1.Report
			if err := unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("%s does not parse back: %v", format, err)
			}
			if diff := cmp.Diff(*want, got); diff != "" {
				t.Errorf("%s round trip changed the report (-want +got):\n%s", format, diff)
			}
		})
	}
}

func TestJUnit(t *testing.T) {
	r := fx.Busy()
	// A Service whose selector matches nothing has no result: its finding needs a testcase of its own.
	empty := fx.WebService()
	empty.Spec, empty.Name, empty.IPs = "svc/empty", "empty", []string{"10.96.0.99"}
	r.Targets = append(r.Targets, empty)
	r.Results = append(r.Results, v1alpha1.CheckResult{ID: "tcp-99", Check: "tcp", Target: "svc/skipped",
		Vantage: fx.SourceVant, Status: v1alpha1.StatusSkip, Summary: "skipped: --skip tcp"})
	r = diagnosed(r)
	for i := range r.Findings {
		if r.Findings[i].ID == "listening-on-loopback-only" {
			r.Findings[i].Evidence = append(r.Findings[i].Evidence, "a line with ]]> inside CDATA")
		}
	}
	r.Verdict.Summary += " (edited)"

	var out bytes.Buffer
	if err := Print(&out, "junit", r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), xml.Header) {
		t.Error("missing XML header")
	}
	var doc junitTestsuites
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("junit does not parse back: %v\n%s", err, out.String())
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	// The results plus the selector finding's own testcase.
	if s.Tests != len(r.Results)+1 || len(s.Cases) != s.Tests || doc.Tests != s.Tests {
		t.Errorf("tests = %d/%d cases %d, want %d", doc.Tests, s.Tests, len(s.Cases), len(r.Results)+1)
	}
	var failures, errors, skipped int
	cases := map[string]junitTestcase{}
	for _, c := range s.Cases {
		cases[c.Classname+"|"+c.Name] = c
		switch {
		case c.Failure != nil:
			failures++
		case c.Error != nil:
			errors++
		case c.Skipped != nil:
			skipped++
		}
	}
	if failures != s.Failures || errors != s.Errors || skipped != s.Skipped || doc.Failures != failures {
		t.Errorf("totals failures/errors/skipped %d/%d/%d, counted %d/%d/%d", s.Failures, s.Errors, s.Skipped, failures, errors, skipped)
	}
	// tcp-1, tcp-9 (Service IP), tcp-2 (web-1), tcp-6 + netinfo-1 (api-0), icmp-3 (black hole), dns-1, selector.
	if failures != 8 || errors != 1 || skipped != 1 {
		t.Errorf("failures/errors/skipped = %d/%d/%d, want 8/1/1", failures, errors, skipped)
	}

	api := cases["pod/api-0|tcp from pod default/client"]
	if api.Failure == nil || api.Failure.Type != "listening-on-loopback-only" {
		t.Fatalf("pod/api-0 tcp: want a listening-on-loopback-only failure, got %+v", api)
	}
	for _, s := range []string{"[fault] listening-on-loopback-only: pod/api-0:9000:", "hop: pod default/api-0 10.244.1.9:9000",
		"evidence: connects to 10.244.1.9:9000: 20 of 20 refused (100%) [ECONNREFUSED x20]\n", "evidence: a line with ]]> inside CDATA", "fix: Make the server"} {
		if !strings.Contains(api.Failure.Body, s) {
			t.Errorf("failure body lacks %q:\n%s", s, api.Failure.Body)
		}
	}
	if ping := cases["svc/web|icmp from pod default/client"]; ping.Failure != nil || ping.SystemOut == nil ||
		!strings.Contains(ping.SystemOut.Text, "icmp-blocked-tcp-ok") {
		t.Errorf("ClusterIP ping: info finding belongs in system-out, not a failure: %+v", ping)
	}
	if e := cases["svc/web endpoint 10.244.0.8:8080 (pod web-4, node k8slab-node1)|icmp from pod default/client"]; e.Error == nil ||
		e.Error.Message != "open raw socket: operation not permitted" || !strings.Contains(e.Error.Body, "check-error") {
		t.Errorf("errored check: want <error> with the check-error finding, got %+v", e)
	}
	if sel := cases["svc/empty|diagnosis service-selector-matches-nothing"]; sel.Failure == nil {
		t.Errorf("selector finding without results: want its own failing testcase; cases: %v", keys(cases))
	}
	if sk := cases["svc/skipped|tcp from pod default/client"]; sk.Skipped == nil || sk.Skipped.Message != "skipped: --skip tcp" {
		t.Errorf("skipped check: %+v", sk)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["verdict"] != "fault" || props["exitCode"] != "1" || !strings.HasSuffix(props["summary"], "(edited)") {
		t.Errorf("properties %v", props)
	}
	if s.Timestamp != "2026-11-23T10:00:00Z" {
		t.Errorf("timestamp %q", s.Timestamp)
	}
}

func keys(m map[string]junitTestcase) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
