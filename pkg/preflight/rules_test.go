package preflight

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// call is a rule without its reason, to keep the tables short.
func call(verb, group, resource, sub, ns string) Rule {
	return Rule{Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns}
}

var ignoreWhy = cmpopts.IgnoreFields(Rule{}, "Why")

func TestRules(t *testing.T) {
	agent := func(ns string) []Rule {
		return []Rule{
			call("patch", "", "pods", "ephemeralcontainers", ns),
			call("list", "", "pods", "", ns),
			call("watch", "", "pods", "", ns),
			call("create", "", "pods", "exec", ns),
		}
	}
	for _, tc := range []struct {
		name    string
		source  string
		targets []string
		want    []Rule
	}{
		{
			name: "pod to an address: the source pod and the agent only", source: "client", targets: []string{"10.96.0.10:53", "dns/web", "web.shop:80"},
			want: append([]Rule{call("get", "", "pods", "", "shop")}, agent("shop")...),
		},
		{
			name: "deployment to a service next door", source: "deploy/frontend", targets: []string{"svc/web"},
			want: []Rule{
				call("get", "apps", "deployments", "", "shop"),
				call("list", "", "pods", "", "shop"),
				call("get", "", "services", "", "shop"),
				call("list", "discovery.k8s.io", "endpointslices", "", "shop"),
				call("patch", "", "pods", "ephemeralcontainers", "shop"),
				call("watch", "", "pods", "", "shop"),
				call("create", "", "pods", "exec", "shop"),
			},
		},
		{
			name: "a pod in another namespace to services and pods in others", source: "pod/team/client",
			targets: []string{"svc/db/postgres:5432", "svc/cache.db", "pod/web-1:8080", "pod/ops/probe-0"},
			want: append([]Rule{
				call("get", "", "pods", "", "team"),
				call("get", "", "services", "", "db"),
				call("list", "discovery.k8s.io", "endpointslices", "", "db"),
				call("list", "", "pods", "", "db"),
				call("get", "", "pods", "", "shop"),
				call("get", "", "pods", "", "ops"),
			}, agent("team")...),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := target.ParseSource(tc.source)
			if err != nil {
				t.Fatal(err)
			}
			var specs []target.Spec
			for _, raw := range tc.targets {
				spec, err := target.Parse(raw)
				if err != nil {
					t.Fatal(err)
				}
				specs = append(specs, spec)
			}
			got := Rules(ForRun("shop", src, specs))
			if diff := cmp.Diff(tc.want, got, ignoreWhy); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, r := range got {
				if r.Why == "" {
					t.Errorf("%s says not why it is needed", r)
				}
			}
		})
	}
}

func TestRulesNodeMode(t *testing.T) {
	got := Rules(Input{Mode: ModeNode, NodeNamespace: "netcheck", ServiceNamespaces: []string{"shop"}})
	want := []Rule{
		call("get", "", "services", "", "shop"),
		call("list", "discovery.k8s.io", "endpointslices", "", "shop"),
		call("list", "", "pods", "", "shop"),
		call("get", "", "nodes", "", ""),
		call("create", "", "pods", "", "netcheck"),
		call("list", "", "pods", "", "netcheck"),
		call("watch", "", "pods", "", "netcheck"),
		call("create", "", "pods", "exec", "netcheck"),
		call("delete", "", "pods", "", "netcheck"),
	}
	if diff := cmp.Diff(want, got, ignoreWhy); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMergeKeepsTheFirstOfEachCall(t *testing.T) {
	a := []Rule{{Verb: "get", Resource: "pods", Namespace: "a", Why: "first"}, {Verb: "get", Resource: "services", Namespace: "a"}}
	b := []Rule{{Verb: "get", Resource: "pods", Namespace: "a", Why: "second"}, {Verb: "get", Resource: "pods", Namespace: "b"}}
	got := Merge(a, b)
	want := []Rule{a[0], a[1], b[1]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRuleText(t *testing.T) {
	for _, tc := range []struct {
		r             Rule
		str, resource string
		canI          string
	}{
		{call("patch", "", "pods", "ephemeralcontainers", "shop"), `"patch" pods/ephemeralcontainers in namespace shop`, "pods/ephemeralcontainers",
			"kubectl auth can-i patch pods --subresource=ephemeralcontainers -n shop"},
		{call("list", "discovery.k8s.io", "endpointslices", "", "shop"), `"list" endpointslices.discovery.k8s.io in namespace shop`,
			"endpointslices.discovery.k8s.io", "kubectl auth can-i list endpointslices.discovery.k8s.io -n shop"},
		{call("get", "", "nodes", "", ""), `"get" nodes cluster-wide`, "nodes", "kubectl auth can-i get nodes"},
	} {
		if got := tc.r.String(); got != tc.str {
			t.Errorf("String() = %q, want %q", got, tc.str)
		}
		if got := tc.r.ResourceName(); got != tc.resource {
			t.Errorf("ResourceName() = %q, want %q", got, tc.resource)
		}
		if got := tc.r.CanI(); got != tc.canI {
			t.Errorf("CanI() = %q, want %q", got, tc.canI)
		}
	}
}
