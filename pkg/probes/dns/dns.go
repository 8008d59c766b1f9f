// Package dns is the probe's DNS check. It answers two questions the seeds'
// nslookup mixes up: what the application gets (the resolv.conf search-list
// expansion walked through the configured nameservers, the way the libc resolver
// does) and whether every server answers the same (each resolv.conf nameserver
// and each DNS endpoint queried directly, per type and transport), so one broken
// CoreDNS replica behind the ClusterIP shows by name.
package dns

import (
	"context"
	"fmt"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// Defaults for fields a DNSSpec leaves empty.
const (
	DefaultResolvConf   = "/etc/resolv.conf"
	DefaultQueryTimeout = 2 * time.Second
	// queryParallelism bounds queries in flight: the matrix can reach a few
	// hundred (names x servers x types x transports) and must not look like a flood.
	queryParallelism = 16
)

// Roles of queried servers.
const (
	RoleResolvConf = "resolv.conf"
	RoleEndpoint   = "endpoint"
)

var (
	defaultTypes      = []string{"A", "AAAA"}
	defaultTransports = []string{"udp", "tcp"}
)

// Check is the dns check. The zero value queries from the current network namespace.
type Check struct {
	// Enter, when set, wraps every query (socket open and exchange) so the node
	// mode can query from inside a target netns.
	Enter func(fn func() error) error
}

var _ probes.Check = (*Check)(nil)

// Name implements probes.Check.
func (*Check) Name() string { return v1alpha1.CheckDNS }

// Requirements implements probes.Check: plain UDP/TCP sockets need no privilege.
func (*Check) Requirements() probes.Requirements { return probes.Requirements{} }

// Run implements probes.Check.
func (c *Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	s := spec.DNS
	if s == nil || strings.TrimSpace(s.Name) == "" {
		return errorResult("dns check needs dns.name")
	}
	path := s.ResolvConf
	if path == "" {
		path = DefaultResolvConf
	}
	conf, rc, err := ReadResolvConf(path)
	if err != nil {
		return errorResult(err.Error())
	}
	types, err := queryTypes(s.Types)
	if err != nil {
		return errorResult(err.Error())
	}
	transports := s.Transports
	if len(transports) == 0 {
		transports = defaultTransports
	}
	for _, tr := range transports {
		if tr != "udp" && tr != "tcp" {
			return errorResult(fmt.Sprintf("dns transport %q: want udp or tcp", tr))
		}
	}
	timeout := DefaultQueryTimeout
	if s.QueryTimeoutMillis > 0 {
		timeout = time.Duration(s.QueryTimeoutMillis) * time.Millisecond
	}

	res := v1alpha1.DNSResult{Name: s.Name, ResolvConf: rc, Expansion: conf.NameList(s.Name)}
	servers := Servers(conf, s.Servers)
	if len(servers) == 0 {
		return errorResult(fmt.Sprintf("no nameserver in %s and no dns.servers given", path))
	}
	plan := Plan(res.Expansion, servers, types, transports)
	if progress != nil {
		progress(fmt.Sprintf("%d queries: %d names x %d servers x %d types x %d transports",
			len(plan), len(res.Expansion), len(servers), len(types), len(transports)))
	}
	res.Queries = c.runAll(ctx, plan, timeout, max(s.Attempts, 1))
	res.Resolved, res.Addresses = AppView(res.Expansion, servers, res.Queries, transports[0])
	status, summary := Verdict(res)
	return v1alpha1.CheckResult{Status: status, Summary: summary, DNS: &res}
}

func errorResult(msg string) v1alpha1.CheckResult {
	return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: msg}
}

// queryTypes maps names like "A" onto qtypes, in order.
func queryTypes(names []string) ([]string, error) {
	if len(names) == 0 {
		return defaultTypes, nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		up := strings.ToUpper(n)
		if _, ok := mdns.StringToType[up]; !ok {
			return nil, fmt.Errorf("dns type %q is not a query type", n)
		}
		out = append(out, up)
	}
	return out, nil
}
