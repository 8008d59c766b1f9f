package suite

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

const validSuite = `apiVersion: netcheck.kubectl.io/v1alpha1
kind: CheckSuite
metadata:
  name: shop
checks:
  - name: web is reachable
    source: client
    targets: [svc/web, "10.96.0.10:53"]
  - name: db is closed to the frontend
    source: deploy/frontend
    namespace: shop
    targets:
      - svc/db:5432
      - pod/other/cache-0:6379
    count: 5
    expect: blocked
`

func TestParse(t *testing.T) {
	s, err := Parse(strings.NewReader(validSuite), "checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mustSpec := func(raw string) target.Spec {
		spec, err := target.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return spec
	}
	want := &Suite{Name: "shop", Checks: []Check{
		{
			SuiteCheck: v1alpha1.SuiteCheck{Name: "web is reachable", Source: "client", Targets: []string{"svc/web", "10.96.0.10:53"},
				Expect: v1alpha1.ExpectReachable},
			Source:  target.Source{Raw: "client", Kind: target.SourcePod, Name: "client"},
			Targets: []target.Spec{mustSpec("svc/web"), mustSpec("10.96.0.10:53")},
		},
		{
			SuiteCheck: v1alpha1.SuiteCheck{Name: "db is closed to the frontend", Source: "deploy/frontend", Namespace: "shop",
				Targets: []string{"svc/db:5432", "pod/other/cache-0:6379"}, Count: 5, Expect: v1alpha1.ExpectBlocked},
			Source:  target.Source{Raw: "deploy/frontend", Kind: target.SourceDeployment, Name: "frontend"},
			Targets: []target.Spec{mustSpec("svc/db:5432"), mustSpec("pod/other/cache-0:6379")},
		},
	}}
	if diff := cmp.Diff(want, s, cmpopts.EquateComparable(target.Spec{}.IP)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "apiVersion: netcheck.kubectl.io/v1alpha1\nkind: CheckSuite\n"
	check := func(body string) string { return head + "checks:\n  - name: a\n" + body }
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "suite checks.yaml is empty"},
		{"not yaml", "checks: [", "suite checks.yaml: line 1: did not find expected node content"},
		{"unknown top field", head + "chekcs: []\n", `line 3: unknown field "chekcs" in the suite (allowed: apiVersion, kind, metadata, checks)`},
		{"unknown check field", check("    source: client\n    tagets: [svc/web]\n"),
			`line 6: unknown field "tagets" in a check (allowed: name, source, namespace, targets, count, expect)`},
		{"duplicate key", check("    source: a\n    source: b\n    targets: [svc/web]\n"), `line 6: mapping key "source" already defined at line 5`},
		{"wrong type", check("    source: client\n    targets: [svc/web]\n    count: many\n"), "line 7: cannot unmarshal !!str `many` into int"},
		{"two documents", validSuite + "---\n" + validSuite, "holds more than one YAML document"},
		{"api version", "apiVersion: v1\nkind: CheckSuite\nchecks: []\n", `line 1: apiVersion "v1": want netcheck.kubectl.io/v1alpha1`},
		{"kind", "apiVersion: netcheck.kubectl.io/v1alpha1\nkind: Suite\n", `line 2: kind "Suite": want CheckSuite`},
		{"no checks", head + "checks: []\n", "line 3: no checks"},
		{"no name", head + "checks:\n  - source: client\n    targets: [svc/web]\n", "line 4: check 1: no name"},
		{"duplicate name", check("    source: client\n    targets: [svc/web]\n  - name: a\n    source: client\n    targets: [svc/web]\n"),
			`line 7: check 2: name "a" is already used by check 1`},
		{"no source", check("    targets: [svc/web]\n"), `line 4: check 1 ("a"): no source`},
		{"bad source", check("    source: svc/web\n    targets: [svc/web]\n"), `line 5: check 1 ("a"): source "svc/web": unknown kind "svc"`},
		{"bad namespace", check("    source: client\n    namespace: Shop\n    targets: [svc/web]\n"), `line 6: check 1 ("a"): namespace "Shop"`},
		{"two namespaces", check("    source: pod/shop/client\n    namespace: other\n    targets: [svc/web]\n"),
			`line 5: check 1 ("a"): source "pod/shop/client" is in namespace shop but the check says namespace other`},
		{"no targets", check("    source: client\n"), `line 4: check 1 ("a"): no targets`},
		{"bad target", check("    source: client\n    targets: [web]\n"), `line 6: check 1 ("a"): target "web": unknown target syntax`},
		{"count", check("    source: client\n    targets: [svc/web]\n    count: 5000\n"), `line 7: check 1 ("a"): count 5000: want 1 to 1000`},
		{"expect", check("    source: client\n    targets: [svc/web]\n    expect: closed\n"), `line 7: check 1 ("a"): expect "closed": want reachable or blocked`},
		{"blocked dns", check("    source: client\n    targets: [dns/web]\n    expect: blocked\n"),
			`line 6: check 1 ("a"): target "dns/web" only resolves a name: expect blocked judges TCP connects`},
		{"blocked ip without port", check("    source: client\n    targets: [10.0.0.1]\n    expect: blocked\n"),
			`target "10.0.0.1" has no port: expect blocked judges TCP connects, so write 10.0.0.1:PORT`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "checks.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}
