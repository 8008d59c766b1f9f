package dns

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ReadResolvConf parses a resolv.conf with miekg/dns (nameservers, search, ndots)
// and keeps the raw "options" tokens, which ClientConfig does not retain but a
// diagnosis wants to show (e.g. "single-request-reopen", "use-vc").
func ReadResolvConf(path string) (*mdns.ClientConfig, *v1alpha1.ResolvConf, error) {
	conf, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read resolver config %s: %w", path, err)
	}
	opts, err := resolvOptions(path)
	if err != nil {
		return nil, nil, err
	}
	return conf, &v1alpha1.ResolvConf{Nameservers: conf.Servers, Search: conf.Search, Ndots: conf.Ndots, Options: opts}, nil
}

// resolvOptions returns the tokens of every "options" line, in order.
func resolvOptions(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read resolver options %s: %w", path, err)
	}
	defer f.Close()
	var opts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && fields[0] == "options" {
			opts = append(opts, fields[1:]...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read resolver options %s: %w", path, err)
	}
	return opts, nil
}

// Server is one server to query, with the address dialled ("ip:port").
type Server struct {
	Addr string
	Name string
	Role string
}

// Servers lists the resolv.conf nameservers first (in file order: the order the
// application tries them), then the extra servers of the spec. A server given
// twice is queried once, keeping its first role.
func Servers(conf *mdns.ClientConfig, extra []v1alpha1.DNSServer) []Server {
	var out []Server
	seen := map[string]bool{}
	add := func(s Server) {
		if !seen[s.Addr] {
			seen[s.Addr] = true
			out = append(out, s)
		}
	}
	for _, ns := range conf.Servers {
		add(Server{Addr: withPort(ns, conf.Port), Role: RoleResolvConf})
	}
	for _, s := range extra {
		role := s.Role
		if role == "" {
			role = RoleEndpoint
		}
		add(Server{Addr: withPort(s.Address, "53"), Name: s.Name, Role: role})
	}
	return out
}

// withPort adds the port to a bare IP ("10.96.0.10" or "fd00::a").
func withPort(addr, port string) string {
	if port == "" {
		port = "53"
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(addr, port)
}
