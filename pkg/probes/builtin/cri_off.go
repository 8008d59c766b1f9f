//go:build linux && !netcheck_cri

package builtin

import "github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/nsscan"

// criSandboxes is nil in the shipped probe: nsscan takes pod ownership from
// the API's pods in the request, and the binary links no gRPC.
var criSandboxes nsscan.SandboxLister
