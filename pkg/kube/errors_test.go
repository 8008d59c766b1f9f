package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type patchOp struct{ err error }

func (p *patchOp) Error() string       { return "add agent to pod default/client: " + p.err.Error() }
func (p *patchOp) Unwrap() error       { return p.err }
func (p *patchOp) Namespace() string   { return "default" }
func (p *patchOp) Subresource() string { return "ephemeralcontainers" }

// nodePodOp is a rejected node pod create, as launch.NodePodError reports it.
type nodePodOp struct{ err error }

func (p *nodePodOp) Error() string {
	return "create node pod ops/netcheck-node2-abcde: " + p.err.Error()
}
func (p *nodePodOp) Unwrap() error       { return p.err }
func (p *nodePodOp) Namespace() string   { return "ops" }
func (p *nodePodOp) Subresource() string { return "" }
func (p *nodePodOp) Workload() string    { return "node pod" }

var pods = schema.GroupResource{Resource: "pods"}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{
			name: "rbac on the subresource",
			err: &patchOp{apierrors.NewForbidden(pods, "client", errors.New(
				`User "alice" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default"`))},
			want: []string{`permission denied: alice may not patch pods/ephemeralcontainers in namespace default`,
				"kubectl auth can-i patch pods --subresource=ephemeralcontainers -n default"},
		},
		{
			name: "rbac on a grouped resource, cluster-wide",
			err: fmt.Errorf("list: %w", apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "",
				errors.New(`User "system:serviceaccount:ci:bot" cannot list resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope`))),
			want: []string{"system:serviceaccount:ci:bot may not list endpointslices.discovery.k8s.io cluster-wide"},
		},
		{
			name: "pod security restricted",
			err: &patchOp{apierrors.NewForbidden(pods, "client", errors.New(
				`violates PodSecurity "restricted:latest": unrestricted capabilities (container "netcheck-dev-abcde" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), runAsUser=0 (container "netcheck-dev-abcde" must not set runAsUser=0)`))},
			want: []string{`namespace default enforces the "restricted" level (version latest)`,
				`must not include "NET_ADMIN", "NET_RAW"`,
				"kubectl label namespace default pod-security.kubernetes.io/enforce=privileged", "node mode"},
		},
		{
			name: "pod security rejects the node pod",
			err: &nodePodOp{apierrors.NewForbidden(pods, "netcheck-node2-abcde", errors.New(
				`violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true), privileged (container "probe" must not set securityContext.privileged=true)`))},
			want: []string{`rejected the node pod: namespace ops enforces the "baseline" level`, "hostNetwork, hostPID and a privileged container",
				"kubectl label namespace ops pod-security.kubernetes.io/enforce=privileged", "--node-namespace"},
		},
		{
			name: "rbac on creating the node pod",
			err: &nodePodOp{apierrors.NewForbidden(pods, "netcheck-node2-abcde", errors.New(
				`User "bob" cannot create resource "pods" in API group "" in the namespace "ops"`))},
			want: []string{`bob may not create pods in namespace ops`, "kubectl auth can-i create pods -n ops", "node mode: create,delete pods"},
		},
		{
			name: "no ephemeral containers",
			err:  &patchOp{apierrors.NewGenericServerResponse(404, "patch", pods, "", "the server could not find the requested resource", 0, false)},
			want: []string{"does not support ephemeral containers"},
		},
		{
			name: "pod gone is not 'unsupported'",
			err:  &patchOp{apierrors.NewNotFound(pods, "client")},
			want: []string{`pods "client" not found`},
		},
		{
			name: "bad credentials",
			err:  apierrors.NewUnauthorized("Unauthorized"),
			want: []string{"rejected your credentials", "--kubeconfig/--context"},
		},
		{
			name: "deadline",
			err:  fmt.Errorf("get pod: %w", context.DeadlineExceeded),
			want: []string{"timed out: get pod"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Explain(tc.err).Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Explain = %q\nwant it to contain %q", got, w)
				}
			}
		})
	}
	if Explain(nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}
