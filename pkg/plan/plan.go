// Package plan decides which checks run for a resolved report: it turns the
// source and targets into one ProbeRequest for the source pod's agent, and,
// after the results are in, into follow-up requests for other pods. It is pure.
package plan

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Defaults for Options fields left zero.
const (
	DefaultCount          = 20
	DefaultConcurrency    = 5
	DefaultConnectTimeout = time.Second
	// icmpEchoes measure reachability and RTT before the MTU sweep.
	icmpEchoes       = 3
	icmpReplyTimeout = 500 * time.Millisecond
	dnsQueryTimeout  = time.Second
	// Whole-check bounds: generous for a faulty path, irrelevant for a healthy one.
	icmpCheckTimeout    = 10 * time.Second
	dnsCheckTimeout     = 10 * time.Second
	netinfoCheckTimeout = 5 * time.Second
)

// Options tune the checks.
type Options struct {
	// Count is how many TCP connects each address gets (--count).
	Count int
	// Concurrency bounds the connects in flight per address.
	Concurrency    int
	ConnectTimeout time.Duration
	// DNSServers are queried directly besides resolv.conf (the CoreDNS endpoints).
	DNSServers []v1alpha1.DNSServer
}

func (o Options) withDefaults() Options {
	if o.Count <= 0 {
		o.Count = DefaultCount
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	o.Concurrency = min(o.Concurrency, o.Count)
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	return o
}

// Vantage is how results name the pod they ran in.
func Vantage(namespace, pod string) string { return "pod " + namespace + "/" + pod }

// builder collects checks once each: two targets that share an address (a pod
// and the Service in front of it) get one check, labelled by the first.
type builder struct {
	o      Options
	checks []v1alpha1.CheckSpec
	seen   map[string]bool
}

func (b *builder) add(spec v1alpha1.CheckSpec) {
	if b.seen[spec.ID] {
		return
	}
	b.seen[spec.ID] = true
	b.checks = append(b.checks, spec)
}

// Build plans the source agent's request: per target TCP to every address
// (ClusterIP and each ready endpoint), ICMP with path-MTU discovery to pod IPs
// (never to a ClusterIP, which kube-proxy does not answer), DNS for names, and
// the source pod's own network view with its listeners.
func Build(r *v1alpha1.Report, o Options) v1alpha1.ProbeRequest {
	b := &builder{o: o.withDefaults(), seen: map[string]bool{}}
	for _, t := range r.Targets {
		switch t.Kind {
		case "service":
			b.service(r.Source, t)
		case "pod":
			for _, ip := range t.IPs {
				label := fmt.Sprintf("%s %s (node %s)", t.Spec, ip, t.Node)
				b.tcp(t, ip, t.Port, label)
				b.icmp(ip, label)
			}
		case "ip":
			for _, ip := range t.IPs {
				b.tcp(t, ip, t.Port, t.Spec)
				// Ping a bare address only when it is known to be a pod or no port was
				// given; a ClusterIP would just look like 100% loss.
				if t.Pod != "" || t.Port == 0 {
					b.icmp(ip, t.Spec)
				}
			}
		case "host":
			b.dns(t.Name, t.Spec)
			b.tcp(t, t.Name, t.Port, t.Spec)
		case "dns":
			b.dns(t.Name, t.Spec)
		}
	}
	b.netinfo(r.Source.Namespace, r.Source.Pod)
	return v1alpha1.NewProbeRequest(b.checks...)
}

func (b *builder) service(src v1alpha1.Source, t v1alpha1.Target) {
	for _, ip := range t.IPs {
		b.tcp(t, ip, t.Port, fmt.Sprintf("%s ClusterIP %s", t.Spec, hostPort(ip, t.Port)))
	}
	for _, ep := range t.Endpoint {
		if !ep.Ready {
			continue
		}
		label := fmt.Sprintf("%s endpoint %%s (pod %s, node %s)", t.Spec, ep.Pod, ep.Node)
		b.tcp(t, ep.IP, ep.Port, fmt.Sprintf(label, hostPort(ep.IP, ep.Port)))
		b.icmp(ep.IP, fmt.Sprintf(label, ep.IP))
	}
	b.dns(ServiceDNSName(src.Namespace, t.Namespace, t.Name), t.Spec)
}

// ServiceDNSName is the name an application in the source namespace would use:
// "web" next door, "web.other" across namespaces. Both go through the pod's
// search path, which is part of what is being checked.
func ServiceDNSName(sourceNS, serviceNS, name string) string {
	if serviceNS == sourceNS || serviceNS == "" {
		return name
	}
	return name + "." + serviceNS
}

func (b *builder) tcp(t v1alpha1.Target, host string, port int, label string) {
	if port == 0 || (t.Protocol != "" && !strings.EqualFold(t.Protocol, "TCP")) {
		return
	}
	rounds := (b.o.Count + b.o.Concurrency - 1) / b.o.Concurrency
	addr := hostPort(host, port)
	b.add(v1alpha1.CheckSpec{
		ID: "tcp:" + addr, Check: v1alpha1.CheckTCP, Target: label,
		TimeoutMillis: int((time.Duration(rounds)*b.o.ConnectTimeout + 2*time.Second).Milliseconds()),
		TCP: &v1alpha1.TCPSpec{
			Address: addr, Count: b.o.Count, Concurrency: b.o.Concurrency,
			ConnectTimeoutMillis: int(b.o.ConnectTimeout.Milliseconds()),
		},
	})
}

func (b *builder) icmp(ip, label string) {
	b.add(v1alpha1.CheckSpec{
		ID: "icmp:" + ip, Check: v1alpha1.CheckICMP, Target: label,
		TimeoutMillis: int(icmpCheckTimeout.Milliseconds()),
		ICMP: &v1alpha1.ICMPSpec{
			Address: ip, Count: icmpEchoes, DiscoverMTU: true,
			ReplyTimeoutMillis: int(icmpReplyTimeout.Milliseconds()),
		},
	})
}

func (b *builder) dns(name, label string) {
	b.add(v1alpha1.CheckSpec{
		ID: "dns:" + name, Check: v1alpha1.CheckDNS, Target: label,
		TimeoutMillis: int(dnsCheckTimeout.Milliseconds()),
		DNS: &v1alpha1.DNSSpec{
			Name: name, Servers: b.o.DNSServers,
			QueryTimeoutMillis: int(dnsQueryTimeout.Milliseconds()),
		},
	})
}

func (b *builder) netinfo(namespace, pod string) {
	b.add(netinfoSpec(namespace, pod))
}

func netinfoSpec(namespace, pod string) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{
		ID: "netinfo:" + namespace + "/" + pod, Check: v1alpha1.CheckNetInfo, Target: Vantage(namespace, pod),
		TimeoutMillis: int(netinfoCheckTimeout.Milliseconds()),
		NetInfo:       &v1alpha1.NetInfoSpec{Listeners: true},
	}
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
