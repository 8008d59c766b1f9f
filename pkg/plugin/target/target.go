// Package target parses what users type for SOURCE and --to into structured specs.
// It is pure: no API reads. Syntax (documented in `kubectl netcheck --help`):
//
//	SOURCE:  NAME | pod/NAME | deploy/NAME        (namespace from -n)
//	--to:    svc/NAME[:PORT]      a Service in the -n namespace
//	         svc/NS/NAME[:PORT]   a Service in namespace NS
//	         svc/NAME.NS[:PORT]   the same, spelled the way its DNS name starts
//	         pod/NAME[:PORT]      a Pod (pod/NS/NAME for another namespace)
//	         IP[:PORT]            a literal address ([IPv6]:PORT for v6 with a port)
//	         HOST:PORT            a name the probe resolves from inside the pod
//	         dns/NAME             only resolve NAME from the pod
//
// PORT is a number or a port name (resolved against the Service or container ports).
// `svc/NAME.NS` works because Service names can never contain a dot; pod names can,
// so pods only take the `pod/NS/NAME` form.
package target

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Kind is the kind of a --to target. The values are those of v1alpha1.Target.Kind.
type Kind string

const (
	KindService Kind = "service"
	KindPod     Kind = "pod"
	KindIP      Kind = "ip"
	KindHost    Kind = "host"
	KindDNS     Kind = "dns"
)

// Spec is one parsed --to target.
type Spec struct {
	// Raw is what the user typed.
	Raw  string
	Kind Kind
	// Namespace is set only when the user qualified the target; "" means the -n namespace.
	Namespace string
	// Name is the Service or Pod name, the host name, or the DNS name to resolve.
	Name string
	// IP is set for KindIP.
	IP netip.Addr
	// Port is a number or a port name; "" means the default from the spec.
	Port string
}

// PortNumber returns Port as a number when it is one.
func (s Spec) PortNumber() (int, bool) {
	n, err := strconv.Atoi(s.Port)
	return n, err == nil
}

// SourceKind is how the source pod is named.
type SourceKind string

const (
	SourcePod        SourceKind = "pod"
	SourceDeployment SourceKind = "deployment"
	// SourceNode is node/NAME: the node checks alone, no source pod.
	SourceNode SourceKind = "node"
)

// Source is the parsed SOURCE argument.
type Source struct {
	Raw       string
	Kind      SourceKind
	Namespace string
	Name      string
}

// Usage is the one-paragraph syntax reminder errors point to.
const Usage = "targets are svc/NAME[:PORT], svc/NS/NAME[:PORT], svc/NAME.NS[:PORT], pod/NAME[:PORT], " +
	"pod/NS/NAME[:PORT], IP[:PORT], HOST:PORT or dns/NAME"

var (
	serviceAliases    = []string{"svc", "service", "services"}
	podAliases        = []string{"pod", "pods", "po"}
	deploymentAliases = []string{"deploy", "deployment", "deployments", "deploy.apps", "deployments.apps"}
	nodeAliases       = []string{"node", "nodes", "no"}
)

// ParseSource parses SOURCE: NAME, pod/NAME, pod/NS/NAME, deploy/NAME or node/NAME.
func ParseSource(raw string) (Source, error) {
	s := Source{Raw: raw, Kind: SourcePod}
	kind, rest, hasKind := strings.Cut(raw, "/")
	if hasKind && slices.Contains(nodeAliases, strings.ToLower(kind)) {
		// Nodes are not namespaced, and their names are DNS subdomains.
		if err := checkName(rest); err != nil {
			return Source{}, fmt.Errorf("source %q: %w", raw, err)
		}
		return Source{Raw: raw, Kind: SourceNode, Name: rest}, nil
	}
	if !hasKind {
		rest = raw
	} else {
		switch {
		case slices.Contains(podAliases, strings.ToLower(kind)):
			s.Kind = SourcePod
		case slices.Contains(deploymentAliases, strings.ToLower(kind)):
			s.Kind = SourceDeployment
		default:
			return Source{}, fmt.Errorf("source %q: unknown kind %q: the source is NAME, pod/NAME, deploy/NAME or node/NAME", raw, kind)
		}
	}
	ns, name, err := splitNamespace(rest)
	if err != nil {
		return Source{}, fmt.Errorf("source %q: %w", raw, err)
	}
	if err := checkName(name); err != nil {
		return Source{}, fmt.Errorf("source %q: %w", raw, err)
	}
	s.Namespace, s.Name = ns, name
	return s, nil
}

// Parse parses one --to target.
func Parse(raw string) (Spec, error) {
	if raw == "" {
		return Spec{}, fmt.Errorf("empty target: %s", Usage)
	}
	if kind, rest, ok := strings.Cut(raw, "/"); ok && !looksLikeAddress(raw) {
		switch k := strings.ToLower(kind); {
		case slices.Contains(serviceAliases, k):
			return parseService(raw, rest)
		case slices.Contains(podAliases, k):
			return parsePod(raw, rest)
		case k == "dns":
			return parseDNS(raw, rest)
		default:
			return Spec{}, fmt.Errorf("target %q: unknown kind %q: %s", raw, kind, Usage)
		}
	}
	return parseAddress(raw)
}

func parseService(raw, rest string) (Spec, error) {
	ref, port := splitPort(rest)
	ns, name, err := splitNamespace(ref)
	if err != nil {
		return Spec{}, fmt.Errorf("target %q: %w", raw, err)
	}
	// svc/NAME.NS: Service names are DNS-1035 labels, so a dot can only start the namespace.
	if ns == "" && strings.Contains(name, ".") {
		name, ns, _ = strings.Cut(name, ".")
		ns = strings.TrimSuffix(ns, ".svc")
		if strings.Contains(ns, ".") {
			return Spec{}, fmt.Errorf("target %q: write svc/NAME.NAMESPACE or svc/NAMESPACE/NAME", raw)
		}
	}
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return Spec{}, fmt.Errorf("target %q: %q is not a valid Service name: %s", raw, name, errs[0])
	}
	if ns != "" {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return Spec{}, fmt.Errorf("target %q: %q is not a valid namespace: %s", raw, ns, errs[0])
		}
	}
	if err := checkPort(port, true); err != nil {
		return Spec{}, fmt.Errorf("target %q: %w", raw, err)
	}
	return Spec{Raw: raw, Kind: KindService, Namespace: ns, Name: name, Port: port}, nil
}

func parsePod(raw, rest string) (Spec, error) {
	ref, port := splitPort(rest)
	ns, name, err := splitNamespace(ref)
	if err != nil {
		return Spec{}, fmt.Errorf("target %q: %w", raw, err)
	}
	if err := checkName(name); err != nil {
		return Spec{}, fmt.Errorf("target %q: %w", raw, err)
	}
	if err := checkPort(port, true); err != nil {
		return Spec{}, fmt.Errorf("target %q: %w", raw, err)
	}
	return Spec{Raw: raw, Kind: KindPod, Namespace: ns, Name: name, Port: port}, nil
}

func parseDNS(raw, name string) (Spec, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" || strings.Contains(name, "/") || strings.Contains(name, ":") {
		return Spec{}, fmt.Errorf("target %q: dns/ takes a bare name, e.g. dns/web.default.svc.cluster.local", raw)
	}
	if errs := validation.IsDNS1123Subdomain(strings.ToLower(name)); len(errs) > 0 {
		return Spec{}, fmt.Errorf("target %q: %q is not a DNS name: %s", raw, name, errs[0])
	}
	return Spec{Raw: raw, Kind: KindDNS, Name: name}, nil
}

// parseAddress handles IP, IP:PORT, [IPv6]:PORT and HOST:PORT.
func parseAddress(raw string) (Spec, error) {
	if ip, err := netip.ParseAddr(raw); err == nil {
		return Spec{Raw: raw, Kind: KindIP, IP: ip.Unmap()}, nil
	}
	if ap, err := netip.ParseAddrPort(raw); err == nil {
		if ap.Port() == 0 {
			return Spec{}, fmt.Errorf("target %q: port 0 cannot be checked", raw)
		}
		return Spec{Raw: raw, Kind: KindIP, IP: ap.Addr().Unmap(), Port: strconv.Itoa(int(ap.Port()))}, nil
	}
	if strings.Contains(raw, "/") {
		return Spec{}, fmt.Errorf("target %q: unknown target syntax (a network cannot be checked; name one address): %s", raw, Usage)
	}
	host, port, ok := strings.Cut(raw, ":")
	if !ok {
		if strings.Contains(raw, ".") {
			return Spec{}, fmt.Errorf("target %q: a host needs a port (HOST:PORT), or use dns/%s to only resolve it", raw, raw)
		}
		return Spec{}, fmt.Errorf("target %q: unknown target syntax (did you mean svc/%s or pod/%s?): %s", raw, raw, raw, Usage)
	}
	if strings.Contains(port, ":") || strings.HasPrefix(raw, "[") {
		return Spec{}, fmt.Errorf("target %q: not an IP address; write IPv6 with a port as [ADDR]:PORT", raw)
	}
	if err := checkPort(port, false); err != nil {
		return Spec{}, fmt.Errorf("target %q: %w", raw, err)
	}
	host = strings.TrimSuffix(host, ".")
	if errs := validation.IsDNS1123Subdomain(strings.ToLower(host)); len(errs) > 0 {
		return Spec{}, fmt.Errorf("target %q: %q is neither an IP nor a host name: %s", raw, host, errs[0])
	}
	return Spec{Raw: raw, Kind: KindHost, Name: host, Port: port}, nil
}

// looksLikeAddress keeps "10.0.0.0/8"-style inputs out of the KIND/ branch so they get
// the address error rather than "unknown kind 10.0.0.0".
func looksLikeAddress(raw string) bool {
	before, _, _ := strings.Cut(raw, "/")
	_, err := netip.ParseAddr(before)
	return err == nil
}

// splitPort splits "ref:port"; a missing port is "".
func splitPort(s string) (ref, port string) {
	ref, port, found := strings.Cut(s, ":")
	if found && port == "" {
		port = ":" // checkPort rejects it: a trailing ':' is a typo, not "the default port"
	}
	return ref, port
}

// splitNamespace splits "NS/NAME" or returns ("", NAME).
func splitNamespace(s string) (ns, name string, err error) {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return "", parts[0], nil
	case 2:
		if errs := validation.IsDNS1123Label(parts[0]); len(errs) > 0 {
			return "", "", fmt.Errorf("%q is not a valid namespace: %s", parts[0], errs[0])
		}
		return parts[0], parts[1], nil
	default:
		return "", "", fmt.Errorf("too many '/' in %q: write KIND/NAME or KIND/NAMESPACE/NAME", s)
	}
}

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("missing name")
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("%q is not a valid object name: %s", name, errs[0])
	}
	return nil
}

// checkPort accepts "" (default), 1-65535, or (when named ports are allowed) an IANA_SVC_NAME.
func checkPort(port string, allowName bool) error {
	if port == ":" {
		return fmt.Errorf("missing port after ':'")
	}
	if port == "" {
		if allowName {
			return nil
		}
		return fmt.Errorf("missing port after ':'")
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 1 || n > 65535 {
			return fmt.Errorf("port %d is out of range 1-65535", n)
		}
		return nil
	}
	if !allowName {
		return fmt.Errorf("port %q must be a number here", port)
	}
	if errs := validation.IsValidPortName(port); len(errs) > 0 {
		return fmt.Errorf("%q is neither a port number nor a port name: %s", port, errs[0])
	}
	return nil
}
