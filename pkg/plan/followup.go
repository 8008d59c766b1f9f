package plan

import (
	"net"
	"slices"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Followup is a second-round request for another pod's agent.
type Followup struct {
	Namespace, Pod string
	// Reason says why, for the progress line.
	Reason  string
	Request v1alpha1.ProbeRequest
}

// Followups asks, for every in-cluster pod that refused a TCP connect, for that
// pod's own view with listeners: "refused" plus a server bound to 127.0.0.1 or
// to another port is the usual cause, and only the pod itself can show it.
func Followups(r *v1alpha1.Report) []Followup {
	owners := podOwners(r)
	var out []Followup
	seen := map[string]bool{}
	for _, res := range r.Results {
		if res.Check != v1alpha1.CheckTCP || res.TCP == nil || res.TCP.Counts[v1alpha1.TCPRefused] == 0 {
			continue
		}
		host, _, err := net.SplitHostPort(res.TCP.Address)
		if err != nil {
			continue
		}
		owner, ok := owners[host]
		if !ok || seen[owner.key()] || (owner.ns == r.Source.Namespace && owner.pod == r.Source.Pod) {
			continue // the source's own netinfo already has its listeners
		}
		seen[owner.key()] = true
		out = append(out, Followup{
			Namespace: owner.ns, Pod: owner.pod,
			Reason:  res.TCP.Address + " refused connections",
			Request: v1alpha1.NewProbeRequest(netinfoSpec(owner.ns, owner.pod)),
		})
	}
	slices.SortFunc(out, func(a, b Followup) int {
		return strings.Compare(a.Namespace+"/"+a.Pod, b.Namespace+"/"+b.Pod)
	})
	return out
}

type podRef struct{ ns, pod string }

func (p podRef) key() string { return p.ns + "/" + p.pod }

// podOwners maps each target IP known to belong to a pod to that pod.
func podOwners(r *v1alpha1.Report) map[string]podRef {
	owners := map[string]podRef{}
	for _, t := range r.Targets {
		for _, ep := range t.Endpoint {
			if ep.Pod != "" {
				owners[ep.IP] = podRef{t.Namespace, ep.Pod}
			}
		}
		if t.Pod != "" && (t.Kind == "pod" || t.Kind == "ip") {
			for _, ip := range t.IPs {
				owners[ip] = podRef{t.Namespace, t.Pod}
			}
		}
	}
	return owners
}
