package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/suite"
)

// suiteReport judges the fixtures the way `kubectl netcheck -f` does: a
// healthy path expected reachable (met) and expected blocked (failed), a
// refusing backend expected reachable (failed, naming the finding), and a
// check that could not run.
func suiteReport(t *testing.T) *v1alpha1.SuiteReport {
	t.Helper()
	check := func(name, source string, expect v1alpha1.Expectation, targets ...string) suite.Check {
		c := suite.Check{SuiteCheck: v1alpha1.SuiteCheck{Name: name, Source: source, Targets: targets, Expect: expect}}
		for _, raw := range targets {
			spec, err := target.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			c.Targets = append(c.Targets, spec)
		}
		return c
	}
	rep := &v1alpha1.SuiteReport{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindSuiteReport, Name: "shop"}
	rep.Checks = append(rep.Checks,
		suite.Judge(check("web open", "client", v1alpha1.ExpectReachable, "svc/web:http", "dns/web.default.svc.cluster.local"), diagnosed(fx.Healthy()), nil),
		suite.Judge(check("web closed", "client", v1alpha1.ExpectBlocked, "svc/web:http"), diagnosed(fx.Healthy()), nil),
		suite.Judge(check("web behind a refusing backend", "client", v1alpha1.ExpectReachable, "svc/web:http"), diagnosed(fx.OneEndpointRefused()), nil),
		suite.Judge(check("gone", "nobody", v1alpha1.ExpectReachable, "svc/web"), nil, errors.New(`get source pod default/nobody: pods "nobody" not found`)),
	)
	rep.Result = suite.Combine(rep.Checks)
	return rep
}

func TestSuiteJUnit(t *testing.T) {
	var out bytes.Buffer
	if err := PrintSuite(&out, "junit", suiteReport(t)); err != nil {
		t.Fatal(err)
	}
	var doc junitTestsuites
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("junit does not parse back: %v\n%s", err, out.String())
	}
	type tc struct{ suite, name, failure, failureType, err string }
	var got []tc
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			row := tc{suite: s.Name, name: c.Name}
			if c.Failure != nil {
				row.failure, row.failureType = c.Failure.Message, c.Failure.Type
			}
			if c.Error != nil {
				row.err = c.Error.Message
			}
			got = append(got, row)
		}
	}
	want := []tc{
		{suite: "web open", name: "svc/web:http is reachable"},
		{suite: "web open", name: "dns/web.default.svc.cluster.local is reachable"},
		{suite: "web closed", name: "svc/web:http is blocked", failureType: "expectation-blocked",
			failure: "expected blocked, but 10.96.0.20:80 connected 20 of 20; 10.244.1.5:8080 connected 10 of 10; 10.244.0.7:8080 connected 10 of 10"},
		{suite: "web behind a refusing backend", name: "svc/web:http is reachable", failureType: "endpoint-refused"},
		{suite: "gone", name: "svc/web is reachable", err: `could not run: get source pod default/nobody: pods "nobody" not found`},
	}
	// The refusing backend's message is the finding's summary; check its start only.
	for i := range got {
		if got[i].failureType == "endpoint-refused" {
			if !strings.HasPrefix(got[i].failure, "expected reachable, but endpoint-refused: svc/web:http:") {
				t.Errorf("failure message %q does not name the finding", got[i].failure)
			}
			got[i].failure = ""
		}
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(tc{})); diff != "" {
		t.Errorf("testcases (-want +got):\n%s", diff)
	}
	if doc.Tests != 5 || doc.Failures != 2 || doc.Errors != 1 || len(doc.Suites) != 4 {
		t.Errorf("totals tests/failures/errors/suites = %d/%d/%d/%d, want 5/2/1/4", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	if doc.Name != "shop" {
		t.Errorf("testsuites name %q", doc.Name)
	}
}

func TestSuiteJSONAndYAML(t *testing.T) {
	want := suiteReport(t)
	for format, unmarshal := range map[string]func([]byte, any) error{
		"json": json.Unmarshal,
		"yaml": func(b []byte, v any) error { return yaml.Unmarshal(b, v) },
	} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := PrintSuite(&out, format, want); err != nil {
				t.Fatal(err)
			}
			var got v1alpha1.SuiteReport
			if err := unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("%s does not parse back: %v", format, err)
			}
			if diff := cmp.Diff(*want, got); diff != "" {
				t.Errorf("%s round trip changed the report (-want +got):\n%s", format, diff)
			}
		})
	}
}

func TestSuiteTableGolden(t *testing.T) {
	var out bytes.Buffer
	if err := PrintSuite(&out, "table", suiteReport(t)); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "suite.txt")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if out.String() != string(want) {
		t.Errorf("table differs from %s (rerun with -update if intended)\n--- got\n%s\n--- want\n%s", golden, out.String(), want)
	}
	if err := PrintSuite(&out, "ndjson", suiteReport(t)); err == nil || !strings.Contains(err.Error(), `unknown output format "ndjson"`) {
		t.Errorf("ndjson for a suite: %v", err)
	}
}
