package deploy

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/preflight"
)

// The preflight asks for exactly what a run calls; rbac.yaml must grant all
// of it, or a user who applied the file would be stopped by the preflight.
func TestPreflightRulesAreGranted(t *testing.T) {
	objs := load(t)
	for _, tc := range []struct {
		mode  string
		input preflight.Input
	}{
		{"pod view", preflight.Input{Mode: preflight.ModePod, SourceNamespace: ns, SourceDeployment: true,
			ServiceNamespaces: []string{ns}, PodNamespaces: []string{ns}}},
		{"pod view", preflight.Input{Mode: preflight.ModePod, SourceNamespace: ns}},
		{"node view", preflight.Input{Mode: preflight.ModeNode, NodeNamespace: ns}},
	} {
		grants := objs.grants(t, modes[tc.mode].roles)
		for _, r := range preflight.Rules(tc.input) {
			q := request{verb: r.Verb, group: r.Group, resource: r.Resource, namespace: r.Namespace}
			if r.Subresource != "" {
				q.resource += "/" + r.Subresource
			}
			if !allowed(grants, q) {
				t.Errorf("%s: the preflight asks for %s, which %s does not grant", tc.mode, r, rbacFile)
			}
		}
	}
}
