package diagnose

import "github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"

// Entry is one root cause the tool can name.
type Entry struct {
	ID          string
	Title       string
	Severity    v1alpha1.Severity
	Description string
	Fix         string
}

// Finding IDs. They are part of the CLI contract (CI pipelines grep for them and
// `kubectl netcheck explain ID` looks them up): never rename one, only add.
const (
	IDEndpointRefused             = "endpoint-refused"
	IDEndpointTimeout             = "endpoint-timeout"
	IDServiceEndpointsAllRefused  = "service-endpoints-all-refused"
	IDServiceEndpointsAllTimeout  = "service-endpoints-all-timeout"
	IDTCPIntermittentRefused      = "tcp-intermittent-refused"
	IDTCPIntermittentTimeout      = "tcp-intermittent-timeout"
	IDTCPRefused                  = "tcp-refused"
	IDTCPTimeout                  = "tcp-timeout"
	IDHostUnreachable             = "host-unreachable"
	IDListeningOnLoopbackOnly     = "listening-on-loopback-only"
	IDPortNotListening            = "port-not-listening"
	IDServiceNoReadyEndpoints     = "service-no-ready-endpoints"
	IDServiceSelectorMatchesNone  = "service-selector-matches-nothing"
	IDServiceNamedPortUnresolved  = "service-named-port-unresolvable"
	IDServiceTargetPortUndeclared = "service-target-port-undeclared"
	IDMTUBlackHole                = "mtu-black-hole"
	IDPMTUReduced                 = "pmtu-reduced"
	IDICMPBlockedTCPOK            = "icmp-blocked-tcp-ok"
	IDDNSReplicaFailing           = "dns-replica-failing"
	IDDNSAllServersFailing        = "dns-all-servers-failing"
	IDDNSServiceIPFailing         = "dns-service-ip-failing"
	IDDNSNXDomain                 = "dns-nxdomain"
	IDDNSNoNameserver             = "dns-no-nameserver"
	IDDNSNdotsExpansion           = "dns-ndots-expansion"
	IDDNSTCPFailing               = "dns-tcp-failing"
	IDDNSUDPFailing               = "dns-udp-failing"
	IDCheckError                  = "check-error"
	IDCheckMissing                = "check-missing"
	IDCheckFailedUnexplained      = "check-failed-unexplained"
)

// catalogue is the one place every finding is described; docs/findings.md is
// generated from it (see TestFindingsDocIsCurrent).
var catalogue = []Entry{
	{
		ID: IDEndpointRefused, Title: "One Service endpoint refuses connections", Severity: v1alpha1.SeverityFault,
		Description: "Every connect to one backend of the Service was refused (RST or ICMP port-unreachable) while " +
			"other backends connected. Clients of the ClusterIP see a share of their connections refused, roughly " +
			"one in the number of endpoints.",
		Fix: "Look at the named pod: is the server running and listening on the target port (kubectl logs, " +
			"kubectl exec -- ss -ltn)? A pod that reports Ready but does not serve needs a readiness probe " +
			"that checks the port.",
	},
	{
		ID: IDEndpointTimeout, Title: "One Service endpoint does not answer", Severity: v1alpha1.SeverityFault,
		Description: "Every connect to one backend timed out while other backends connected: SYNs to that pod " +
			"vanish. Typical causes are a NetworkPolicy that selects only that pod, a broken overlay route to " +
			"its node, or a node that is down.",
		Fix: "Check NetworkPolicies selecting the pod, then the node's CNI (overlay interface, routes to the " +
			"pod CIDR) from a node vantage: kubectl netcheck node <node>.",
	},
	{
		ID: IDServiceEndpointsAllRefused, Title: "Every Service endpoint refuses connections", Severity: v1alpha1.SeverityFault,
		Description: "All probed backends refused the connection. The network delivered the SYN and the pods " +
			"answered RST (or a REJECT rule did): the service is down, or it listens on another port than the " +
			"Service targetPort.",
		Fix: "Compare the port the application listens on with the Service targetPort and the containerPort; " +
			"check the pods' logs for a crashed or not yet started server.",
	},
	{
		ID: IDServiceEndpointsAllTimeout, Title: "No Service endpoint answers", Severity: v1alpha1.SeverityFault,
		Description: "All probed backends timed out: SYNs are dropped on the way, which points at a NetworkPolicy " +
			"or firewall DROP rather than at the application (an application that is down refuses instead).",
		Fix: "List NetworkPolicies in the target namespace (kubectl get netpol) and check that one admits the " +
			"source pod on this port; check node firewalls between the nodes.",
	},
	{
		ID: IDTCPIntermittentRefused, Title: "Some connections are refused", Severity: v1alpha1.SeverityFault,
		Description: "k of N connects were refused while the rest succeeded. This is intermittent failure, not a " +
			"pass: behind a Service it usually means one backend is not serving; on a single pod, a server that " +
			"restarts or has a full accept backlog.",
		Fix: "Use the per-endpoint rates in the evidence to find the backend that refuses; check its restarts " +
			"(kubectl get pod), readiness probe and listen backlog.",
	},
	{
		ID: IDTCPIntermittentTimeout, Title: "Some connections time out", Severity: v1alpha1.SeverityFault,
		Description: "k of N connects timed out while the rest succeeded: SYNs are lost some of the time. Causes " +
			"include a backend on an unreachable node, conntrack table exhaustion, packet loss on the underlay, " +
			"or an overloaded server.",
		Fix: "Use the per-endpoint rates to find the failing backend; on the nodes check conntrack " +
			"(nf_conntrack_count vs max) and interface drops.",
	},
	{
		ID: IDTCPRefused, Title: "Connections are refused", Severity: v1alpha1.SeverityFault,
		Description: "Every connect to the target was refused: the host answered RST (nothing listens on that " +
			"port) or a REJECT rule answered ICMP port-unreachable. For a ClusterIP whose endpoints connect " +
			"directly, the Service path (kube-proxy rules, port mapping) is at fault.",
		Fix: "Check that the port is right and the server listens on it; for a Service check its port and " +
			"targetPort and kube-proxy on the source node.",
	},
	{
		ID: IDTCPTimeout, Title: "Connections time out", Severity: v1alpha1.SeverityFault,
		Description: "Every connect to the target timed out: no RST, no ICMP error, nothing. Packets are dropped " +
			"silently, typically by a NetworkPolicy, a firewall DROP rule or a missing route back.",
		Fix: "Check NetworkPolicies (ingress on the target, egress on the source), node firewalls and the " +
			"routes between the two nodes.",
	},
	{
		ID: IDHostUnreachable, Title: "Host unreachable", Severity: v1alpha1.SeverityFault,
		Description: "The kernel or a router answered host/network unreachable (no route, or ARP/NDP for the " +
			"next hop failed): the address is not reachable at all from this vantage. A firewall that rejects " +
			"with ICMP host-unreachable or host-prohibited (firewalld's default) reads the same; ICMP errors are " +
			"rate-limited per client, so past a burst of 6 the connects time out instead and both show.",
		Fix: "Check that the address is right and still in use (a deleted pod's IP), REJECT rules on the path " +
			"(iptables-save | grep host- in the target pod and on the nodes), the routes on the source node and " +
			"the overlay to the target node.",
	},
	{
		ID: IDListeningOnLoopbackOnly, Title: "Server listens on loopback only", Severity: v1alpha1.SeverityFault,
		Description: "The target pod has a socket listening on 127.0.0.1 (or ::1) on the port but none on the " +
			"wildcard address or the pod IP, so connections from other pods are refused while the server " +
			"works from inside its own pod.",
		Fix: "Make the server bind 0.0.0.0 (or ::) instead of localhost, e.g. --host 0.0.0.0 / " +
			"server.address=0.0.0.0 / listen :PORT.",
	},
	{
		ID: IDPortNotListening, Title: "Nothing listens on the port", Severity: v1alpha1.SeverityFault,
		Description: "Connections to the pod port are refused and the pod's own socket table shows no listener " +
			"on that port: the server is not running, still starting, or listens on another port.",
		Fix: "Compare the listening ports in the evidence with the port used (Service targetPort / " +
			"containerPort); check the container's logs and restarts.",
	},
	{
		ID: IDServiceNoReadyEndpoints, Title: "Service has no ready endpoints", Severity: v1alpha1.SeverityFault,
		Description: "The Service has no ready backend, so kube-proxy rejects (or drops) every connection to its " +
			"ClusterIP. The selected pods exist but are not Ready, or none are selected.",
		Fix: "kubectl get endpointslices -l kubernetes.io/service-name=NAME; kubectl describe the selected " +
			"pods and fix the failing readiness probe or the crash.",
	},
	{
		ID: IDServiceSelectorMatchesNone, Title: "Service selector matches no pods", Severity: v1alpha1.SeverityFault,
		Description: "No pod in the namespace carries all the labels of the Service selector, so the Service " +
			"has no endpoints at all. Usually a typo or a label changed in the Deployment template.",
		Fix: "Compare the selector in the evidence with the pod labels (kubectl get pods --show-labels) and " +
			"fix one of them.",
	},
	{
		ID: IDServiceNamedPortUnresolved, Title: "Named targetPort declared by no container", Severity: v1alpha1.SeverityFault,
		Description: "The Service targetPort is a port name that some selected pods do not declare in any " +
			"containerPort. Kubernetes cannot resolve it for those pods and leaves them out of the endpoints.",
		Fix: "Add the named containerPort to the pod template, or set the Service targetPort to the number.",
	},
	{
		ID: IDServiceTargetPortUndeclared, Title: "Numeric targetPort declared by no container", Severity: v1alpha1.SeverityWarning,
		Description: "The Service targetPort number is not declared as a containerPort by some selected pods. " +
			"Traffic still flows if the application listens there (declaring ports is informational), but it " +
			"often means the Service and the app disagree on the port; it is a fault when connects are refused.",
		Fix: "Declare the port in the container spec, or correct the Service targetPort to the port the " +
			"application listens on.",
	},
	{
		ID: IDMTUBlackHole, Title: "Path MTU black hole", Severity: v1alpha1.SeverityFault,
		Description: "Small packets with DF set get through, large ones vanish and no hop reports ICMP " +
			"fragmentation-needed. TCP handshakes work but transfers stall as soon as full-size segments flow " +
			"(TLS handshakes, large responses). Typical: an overlay (VXLAN/Geneve/IPIP/WireGuard) whose pod MTU " +
			"ignores the encapsulation overhead, with ICMP filtered on the underlay.",
		Fix: "Set the CNI/pod MTU to at most the path MTU in the evidence (underlay MTU minus encapsulation " +
			"overhead, e.g. -50 for VXLAN), or allow ICMP type 3 code 4 through the firewalls, or clamp TCP MSS.",
	},
	{
		ID: IDPMTUReduced, Title: "Path MTU smaller than the interface MTU", Severity: v1alpha1.SeverityWarning,
		Description: "A hop answered fragmentation-needed with a smaller next-hop MTU (or the kernel already " +
			"caches one). Path MTU discovery works, so TCP adapts, but every new path pays a lost packet and " +
			"protocols that ignore PMTU (some UDP) break. Combined with a black hole it is a fault.",
		Fix: "Lower the pod/CNI MTU to the reported path MTU so packets fit without PMTU discovery.",
	},
	{
		ID: IDICMPBlockedTCPOK, Title: "No ping replies, but TCP works", Severity: v1alpha1.SeverityInfo,
		Description: "ICMP echo got no reply while TCP to the same address connects. Not a fault: ClusterIPs " +
			"are virtual in kube-proxy iptables/nftables mode and only forward the Service ports, and many " +
			"policies drop ICMP.",
		Fix: "Nothing to fix; judge reachability by the TCP result.",
	},
	{
		ID: IDDNSReplicaFailing, Title: "A DNS replica fails while others answer", Severity: v1alpha1.SeverityFault,
		Description: "Queried directly, one DNS server replica (e.g. a CoreDNS pod) fails or answers wrongly " +
			"while another answers. Through the kube-dns ClusterIP this shows up as occasional lookup failures " +
			"or 5 s delays, depending on which replica kube-proxy picks.",
		Fix: "Check the named replica: kubectl logs and describe it (upstream forwarders, loop plugin, " +
			"readiness), and the path to its node; delete the pod if it is wedged.",
	},
	{
		ID: IDDNSAllServersFailing, Title: "Every DNS server fails", Severity: v1alpha1.SeverityFault,
		Description: "No configured nameserver and no directly queried replica answered: lookups in the pod fail " +
			"for every name. Causes: DNS pods down, a NetworkPolicy blocking egress to port 53, or the DNS " +
			"Service path broken.",
		Fix: "kubectl -n kube-system get pods -l k8s-app=kube-dns; check egress NetworkPolicies for UDP and " +
			"TCP 53 from the source namespace.",
	},
	{
		ID: IDDNSServiceIPFailing, Title: "DNS Service IP fails while replicas answer", Severity: v1alpha1.SeverityFault,
		Description: "The nameserver from resolv.conf (the kube-dns ClusterIP) does not answer while every DNS " +
			"replica answers when queried directly: the Service path (kube-proxy rules on the source node) " +
			"is broken, not DNS itself.",
		Fix: "Check kube-proxy on the source node (logs, iptables-save | grep kube-dns) and that the kube-dns " +
			"Service has the replicas as endpoints.",
	},
	{
		ID: IDDNSNXDomain, Title: "Name does not exist (NXDOMAIN)", Severity: v1alpha1.SeverityFault,
		Description: "Every name the resolver tries (the search-list expansion) returns NXDOMAIN: the DNS " +
			"servers work, the name is wrong. Usually a Service in another namespace queried by its short " +
			"name, or a typo.",
		Fix: "Use SERVICE.NAMESPACE (or the FQDN SERVICE.NAMESPACE.svc.cluster.local) and check the name " +
			"with kubectl get svc -A.",
	},
	{
		ID: IDDNSNoNameserver, Title: "resolv.conf has no nameserver", Severity: v1alpha1.SeverityFault,
		Description: "The pod's resolver configuration lists no nameserver, so every lookup fails (or goes to " +
			"127.0.0.1). The API refuses dnsPolicy None without dnsConfig.nameservers, so the usual causes are " +
			"an image or entrypoint that writes its own /etc/resolv.conf, or dnsPolicy Default on a node whose " +
			"resolver file (the kubelet's --resolv-conf) lists none.",
		Fix: "Do not write /etc/resolv.conf in the image or entrypoint (set the pod's dnsConfig instead); for " +
			"dnsPolicy Default give the node a nameserver, or use ClusterFirst.",
	},
	{
		ID: IDDNSNdotsExpansion, Title: "Search-list expansion multiplies lookups", Severity: v1alpha1.SeverityInfo,
		Description: "The name has fewer dots than ndots, so the resolver tries every search domain first and " +
			"gets NXDOMAIN for each before the real name: several wasted queries per lookup (the ndots:5 " +
			"query storm).",
		Fix: "Query the name fully qualified with a trailing dot, or lower ndots in the pod's dnsConfig " +
			"options (e.g. ndots: 2).",
	},
	{
		ID: IDDNSTCPFailing, Title: "DNS over TCP fails while UDP works", Severity: v1alpha1.SeverityWarning,
		Description: "Servers answer over UDP but not over TCP. Small answers work; answers too large for UDP " +
			"(truncated, TC bit) cannot be fetched, so big records or many A records fail. A fault when a UDP " +
			"answer was truncated.",
		Fix: "Allow TCP 53 in NetworkPolicies and firewalls next to UDP 53.",
	},
	{
		ID: IDDNSUDPFailing, Title: "DNS over UDP fails while TCP works", Severity: v1alpha1.SeverityFault,
		Description: "Servers answer over TCP but not over UDP, which is what resolvers use first: lookups time " +
			"out. Typical: a policy or firewall that only allows TCP 53, or broken UDP conntrack/NAT for the " +
			"DNS Service.",
		Fix: "Allow UDP 53 in NetworkPolicies and firewalls; check conntrack UDP entries for the DNS ClusterIP " +
			"on the source node.",
	},
	{
		ID: IDCheckError, Title: "A check could not run", Severity: v1alpha1.SeverityWarning,
		Description: "The probe could not run a check (missing capability, bad spec, timeout of the whole " +
			"check). Its target is untested, so the run is inconclusive.",
		Fix: "Read the error in the evidence; usually the probe needs NET_RAW/NET_ADMIN (use the netadmin " +
			"profile) or a longer --timeout.",
	},
	// check-missing has no cluster e2e test, on purpose: the plan gives every
	// resolved target at least one check and the probe answers every check it is
	// sent (one it cannot run comes back as check-error; a probe that stops early
	// fails the run with exit 3), so with the real binary a target without a
	// result only comes from a plan or engine bug. The rule is the safety net for
	// that bug (new target kinds, the node plan): the run is inconclusive instead
	// of passing a target nothing tested. Table tests cover it (rule_checks_test.go).
	{
		ID: IDCheckMissing, Title: "No result for a target", Severity: v1alpha1.SeverityWarning,
		Description: "A resolved target has no check result at all (the agent died, was not launched, or the run " +
			"was cut short), so nothing is known about it and the run is inconclusive.",
		Fix: "Rerun with -v=2 to see the agent's logs; check that the ephemeral container or node pod started.",
	},
	{
		ID: IDCheckFailedUnexplained, Title: "A check failed for an unrecognised reason", Severity: v1alpha1.SeverityWarning,
		Description: "The probe reported a failure that no diagnosis rule explains. The evidence is in the " +
			"check result; the run is inconclusive rather than passed.",
		Fix: "Read the check's evidence (-o yaml) and report the case so a rule can be added.",
	},
}

// Catalogue lists every finding ID the tool can report, in a stable order.
func Catalogue() []Entry {
	out := make([]Entry, len(catalogue))
	copy(out, catalogue)
	return out
}

// Lookup finds a catalogue entry by ID.
func Lookup(id string) (Entry, bool) {
	for _, e := range catalogue {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}
