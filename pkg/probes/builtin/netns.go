//go:build linux

package builtin

import (
	"context"
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/nsscan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/podnetns"
)

// podView are the checks that run "from the pod" when a request names a
// network namespace (ProbeRequest.Netns); node checks ignore it.
var podView = []string{v1alpha1.CheckTCP, v1alpha1.CheckICMP, v1alpha1.CheckDNS, v1alpha1.CheckNetInfo}

// ForRequest is the registry req runs with and the release to call after the
// run. Without req.Netns it is Registry(). With it the namespace is resolved
// and opened once; the pod-view checks open their sockets in it, a dns check
// without resolvConf reads the pod's, and each of their results names the
// namespace. When the namespace cannot be resolved the pod-view checks fail
// with the reason while the node checks still run.
func ForRequest(req v1alpha1.ProbeRequest) (probes.Registry, func()) {
	if req.Netns == nil {
		return Registry(), func() {}
	}
	target, err := podnetns.Open(*req.Netns)
	if err != nil {
		reg := Registry()
		for _, name := range podView {
			reg[name] = unresolved{name: name, err: err}
		}
		return reg, func() {}
	}
	reg := RegistryIn(target.NS.Do)
	for _, name := range podView {
		reg[name] = inPod{Check: reg[name], target: target}
	}
	return reg, func() { _ = target.Close() }
}

// inPod runs a pod-view check in the pod's namespace and says so in its result.
type inPod struct {
	probes.Check
	target *podnetns.Target
}

// Requirements adds what entering another process's namespace takes.
func (c inPod) Requirements() probes.Requirements {
	r := c.Check.Requirements()
	r.Capabilities = append(r.Capabilities, nsscan.CapSysAdmin, nsscan.CapSysPtrace)
	return r
}

func (c inPod) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	if spec.DNS != nil && spec.DNS.ResolvConf == "" {
		if c.target.ResolvConf == "" {
			return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Netns: c.target.Desc,
				Error: fmt.Sprintf("no resolv.conf for %s: no process of the pod has /etc/resolv.conf under <procRoot>/<pid>/root "+
					"(only the pause process?); give dns.resolvConf", c.target.Desc)}
		}
		dns := *spec.DNS
		dns.ResolvConf = c.target.ResolvConf
		spec.DNS = &dns
	}
	res := c.Check.Run(ctx, spec, progress)
	res.Netns = c.target.Desc
	return res
}

// unresolved stands in for a pod-view check whose namespace was not found.
type unresolved struct {
	name string
	err  error
}

func (u unresolved) Name() string                      { return u.name }
func (u unresolved) Requirements() probes.Requirements { return probes.Requirements{} }
func (u unresolved) Run(context.Context, v1alpha1.CheckSpec, probes.Progress) v1alpha1.CheckResult {
	return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: "pod network namespace: " + u.err.Error()}
}
