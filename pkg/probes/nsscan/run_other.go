//go:build !linux

package nsscan

import (
	"context"
	"errors"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

func run(context.Context, *v1alpha1.NSScanSpec, probes.Progress, SandboxLister) (*v1alpha1.NSScanResult, error) {
	return nil, errors.New("the namespace scan needs Linux")
}
