package plan

import (
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// TCPAddresses are the "host:port" addresses Build connects to for one
// resolved target: a Service's ClusterIPs and each ready endpoint, a pod's or a
// literal IP's addresses, a host name. A target without a TCP port has none.
// Expectations (pkg/suite) judge a target by exactly these connects;
// TestTCPAddressesMatchBuild keeps the two in step.
func TCPAddresses(t v1alpha1.Target) []string {
	if t.Port == 0 || (t.Protocol != "" && !strings.EqualFold(t.Protocol, "TCP")) {
		return nil
	}
	var out []string
	add := func(host string, port int) {
		a := hostPort(host, port)
		for _, seen := range out {
			if seen == a {
				return
			}
		}
		out = append(out, a)
	}
	switch t.Kind {
	case "service":
		for _, ip := range t.IPs {
			add(ip, t.Port)
		}
		for _, ep := range t.Endpoint {
			if ep.Ready {
				add(ep.IP, ep.Port)
			}
		}
	case "pod", "ip":
		for _, ip := range t.IPs {
			add(ip, t.Port)
		}
	case "host":
		add(t.Name, t.Port)
	}
	return out
}
