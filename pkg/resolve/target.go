package resolve

import (
	"context"
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// Target resolves one --to spec into the facts the plan and diagnosis need.
func (r *Resolver) Target(ctx context.Context, spec target.Spec) (v1alpha1.Target, error) {
	switch spec.Kind {
	case target.KindService:
		return r.service(ctx, spec)
	case target.KindPod:
		return r.pod(ctx, spec)
	case target.KindIP:
		return r.ip(ctx, spec)
	case target.KindHost:
		port, _ := spec.PortNumber()
		return v1alpha1.Target{Spec: spec.Raw, Kind: string(target.KindHost), Name: spec.Name, Port: port, Protocol: "TCP"}, nil
	case target.KindDNS:
		return v1alpha1.Target{Spec: spec.Raw, Kind: string(target.KindDNS), Name: spec.Name}, nil
	}
	return v1alpha1.Target{}, fmt.Errorf("target %q: unknown kind %q", spec.Raw, spec.Kind)
}
