//go:build linux && netcheck_cri

package builtin

import (
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/criclient"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/nsscan"
)

// criSandboxes lets nsscan ask the container runtime when a request carries
// no API pods; `go build -tags netcheck_cri` ships it, at twice the size.
var criSandboxes nsscan.SandboxLister = criclient.ListSandboxes
