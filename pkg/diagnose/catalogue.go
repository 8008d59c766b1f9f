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
	IDPodIPConflict               = "pod-ip-conflict"
	IDLeakedNetns                 = "leaked-netns"
	IDIPForwardDisabled           = "node-ip-forward-disabled"
	IDBridgeNFCallOff             = "bridge-nf-call-iptables-off"
	IDVXLANPeerMismatch           = "vxlan-peer-mismatch"
	IDVXLANSourceMismatch         = "vxlan-source-ip-mismatch"
	IDPodTrafficMasqueraded       = "pod-traffic-masqueraded"
	IDKubeProxyRulesMissing       = "kube-proxy-rules-missing"
	IDKubeProxyRulesStale         = "kube-proxy-rules-stale"
	IDNodeFirewallDrop            = "node-firewall-drop"
	IDNodeFirewallReject          = "node-firewall-reject"
	IDOverlayMTUMismatch          = "overlay-mtu-mismatch"
	IDTraceDroppedAtHop           = "trace-dropped-at-hop"
	IDConntrackTableFull          = "conntrack-table-full"
	IDNodeViewUnavailable         = "node-view-unavailable"
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
		ID: IDPodIPConflict, Title: "A pod IP is held by two network namespaces", Severity: v1alpha1.SeverityFault,
		Description: "Two network namespaces on one node hold the same pod IP: the pod that owns it and another " +
			"one, typically a namespace a crashed or force-deleted pod left behind, still plugged into the bridge " +
			"and kept alive by an orphaned process. The bridge delivers each frame to whichever port last sent " +
			"from the MAC, so connections to the pod IP intermittently reach the impostor and get an RST. When " +
			"both use the same MAC, duplicate address detection (arping -D) and ARP tables cannot see the " +
			"conflict: only a scan of every namespace on the node finds it.",
		Fix: "Kill the process holding the leaked namespace (the evidence names its PID and parent) or delete " +
			"its veth from the bridge, then check the CNI's IPAM store (host-local: /var/lib/cni/networks) so the " +
			"IP is not handed out twice again.",
	},
	{
		ID: IDLeakedNetns, Title: "Leaked network namespaces or orphaned shims on a node", Severity: v1alpha1.SeverityWarning,
		Description: "A network namespace on the pod network (an address in the pod CIDR, or a veth on the node " +
			"bridge) belongs to no live pod, or a container runtime shim was re-parented to PID 1 after its pod " +
			"sandbox disappeared. Each holds an IP the CNI may hand out again, which ends in an IP conflict.",
		Fix: "Stop the listed processes (kill the orphaned shim and its children) and delete the namespace's " +
			"bind mount; find why pod teardown failed (kubelet and CNI logs for the sandbox ID).",
	},
	{
		ID: IDIPForwardDisabled, Title: "IP forwarding is off on a node", Severity: v1alpha1.SeverityFault,
		Description: "net.ipv4.ip_forward (or the forwarding switch of an interface on the path) is 0 on a node, " +
			"so the node does not route packets between its pods' bridge and the overlay: cross-node pod traffic " +
			"reaches the node and dies there silently, while traffic inside the node still works.",
		Fix: "sysctl -w net.ipv4.ip_forward=1 on the node and make it persistent (/etc/sysctl.d/); find what " +
			"turned it off (a hardening profile, a network service restarting).",
	},
	{
		ID: IDBridgeNFCallOff, Title: "Bridged traffic bypasses iptables on a node", Severity: v1alpha1.SeverityWarning,
		Description: "net.bridge.bridge-nf-call-iptables is 0 on a node whose kube-proxy works with iptables. A " +
			"pod's connection to a Service IP is translated to an endpoint, but when that endpoint sits on the " +
			"same bridge its replies are bridged straight back without passing iptables, so they are never " +
			"translated back: the client gets a SYN-ACK from the pod IP instead of the Service IP and drops it. " +
			"Service traffic between pods of one node fails while the same Service works from other nodes.",
		Fix: "modprobe br_netfilter and sysctl -w net.bridge.bridge-nf-call-iptables=1 on the node (persist both " +
			"in /etc/modules-load.d and /etc/sysctl.d); find what turned it off.",
	},
	{
		ID: IDVXLANPeerMismatch, Title: "VXLAN neighbour or FDB entry disagrees with the peer node", Severity: v1alpha1.SeverityFault,
		Description: "The node's VXLAN device (flannel.1) holds a neighbour entry for a peer's VTEP address, or " +
			"an FDB entry for the peer's VTEP MAC, that is missing or differs from what the peer published in " +
			"its flannel annotations (backend-data VtepMAC, public-ip). Packets for that node's pods are " +
			"encapsulated to a wrong MAC or underlay address and vanish after the VXLAN device.",
		Fix: "Restart flanneld on the node with the stale entry so it reprograms neighbours and FDB from the " +
			"annotations, or fix the entry by hand (ip neigh replace / bridge fdb replace); if the peer was " +
			"recreated, check its annotations are current.",
	},
	{
		ID: IDVXLANSourceMismatch, Title: "VXLAN device encapsulates from the wrong address", Severity: v1alpha1.SeverityFault,
		Description: "The node's VXLAN device has a local (source) address other than the public IP its flannel " +
			"published (or, without flannel annotations, other than the node's InternalIP). Peers send to one " +
			"address while this node sends from another: return traffic, underlay firewalls and reverse-path " +
			"filters see an unexpected source.",
		Fix: "Recreate the VXLAN device with the right local address: restart flanneld with the right --iface " +
			"or --public-ip (or fix the interface it auto-detected) after deleting the stale flannel.1.",
	},
	{
		ID: IDPodTrafficMasqueraded, Title: "Pod-to-pod traffic is masqueraded", Severity: v1alpha1.SeverityFault,
		Description: "A MASQUERADE or SNAT rule on a node matches traffic from one pod to another pod, so the " +
			"destination sees the node's address instead of the client pod's IP. This breaks the Kubernetes " +
			"network model: NetworkPolicies, logs and allow-lists that key on pod IPs see the node instead.",
		Fix: "Add an exclusion for the pod network before the rule (! -d <cluster pod CIDR>, or a RETURN for " +
			"pod-to-pod traffic as flannel's FLANNEL-POSTRTG does) or remove the rule; find who installed it " +
			"(the comment, a CNI with ipMasq misconfigured, a hand-made rule).",
	},
	{
		ID: IDKubeProxyRulesMissing, Title: "kube-proxy rules for a Service are missing on a node", Severity: v1alpha1.SeverityFault,
		Description: "The Service has ready endpoints, but the node the client runs on has no kube-proxy rules " +
			"for it (no KUBE-SVC chain and no KUBE-SERVICES entry in iptables mode, no service chain in the " +
			"kube-proxy nftables table), so connections to its ClusterIP are never translated to an endpoint. " +
			"kube-proxy on that node is down, stuck or failing to write rules.",
		Fix: "Check kube-proxy on the node (kubectl -n kube-system get pods -o wide, its logs, or the systemd " +
			"unit); restarting it rewrites every rule.",
	},
	{
		ID: IDKubeProxyRulesStale, Title: "kube-proxy rules for a Service are stale on a node", Severity: v1alpha1.SeverityFault,
		Description: "The node's kube-proxy rules for the Service send connections to endpoints that are no " +
			"longer ready, or lack endpoints that are: kube-proxy stopped following EndpointSlice changes on that " +
			"node, so a share of connections lands on pods that are gone.",
		Fix: "Check kube-proxy on the node (running? its logs: sync errors, API watch failures); restarting it " +
			"resyncs the rules with the EndpointSlices.",
	},
	{
		ID: IDNodeFirewallDrop, Title: "A node's firewall drops the traffic", Severity: v1alpha1.SeverityFault,
		Description: "A DROP rule in a node's firewall counted the run's packets while connections timed out: " +
			"the rule, not the application or the overlay, swallows the SYNs. The evidence names the node, " +
			"table, chain, rule and how many packets it dropped during the run.",
		Fix: "Remove or narrow the rule (iptables -D / nft delete rule ... handle N) and find who installed it " +
			"(its comment, configuration management, a host firewall service).",
	},
	{
		ID: IDNodeFirewallReject, Title: "A node's firewall rejects the traffic", Severity: v1alpha1.SeverityFault,
		Description: "Connections are refused, but the RST or ICMP error was generated by a node's firewall " +
			"(a REJECT rule whose counter moved during the run, or a reply first seen on the node with a TTL " +
			"no router decremented), not by the target pod: the server may be perfectly healthy.",
		Fix: "Remove or narrow the REJECT rule named in the evidence and find who installed it; do not debug " +
			"the application for this refusal.",
	},
	{
		ID: IDOverlayMTUMismatch, Title: "Overlay MTU does not fit the path", Severity: v1alpha1.SeverityWarning,
		Description: "A VXLAN device's MTU leaves less than the 50 bytes of VXLAN overhead under its underlay " +
			"MTU (encapsulated full-size packets are dropped: a fault), or the VXLAN devices of the nodes have " +
			"different MTUs, or pods and bridges on a node have a larger MTU than its overlay device: large " +
			"packets then depend on ICMP fragmentation-needed and PMTU discovery, and stall where that ICMP " +
			"is filtered.",
		Fix: "Give every node's VXLAN device the same MTU, at most the underlay MTU minus 50 (flannel: the " +
			"--iface MTU or FLANNEL_MTU in subnet.env), and recreate pods so their eth0 gets it.",
	},
	{
		ID: IDConntrackTableFull, Title: "A node's conntrack table is full or dropping connections", Severity: v1alpha1.SeverityFault,
		Description: "A node's connection tracking table is at (or within 1% of) net.netfilter.nf_conntrack_max, " +
			"or its drop, early_drop or insert_failed counters (/proc/net/stat/nf_conntrack) rose while the " +
			"probes ran. Every new connection through the node's netfilter (to, from or via its pods) needs an " +
			"entry; with none to be had the kernel drops the packet (dmesg: \"nf_conntrack: table full, dropping " +
			"packet\"), so connects time out, often only some of them: the classic \"sometimes can't connect\".",
		Fix: "On the node: raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets, about max/4; kube-proxy " +
			"sets max from --conntrack-max-per-core) and make it persistent; find what fills the table with " +
			"`conntrack -L` (sort by source, destination or state: a flood, a scanner, a client that never closes " +
			"its connections); shorten the timeouts that hold entries (nf_conntrack_tcp_timeout_established, " +
			"udp and close_wait timeouts). insert_failed alone is usually the SNAT port race: use " +
			"--random-fully masquerading.",
	},
	{
		ID: IDTraceDroppedAtHop, Title: "Packets vanish at a hop", Severity: v1alpha1.SeverityFault,
		Description: "The correlated capture saw the probes on every hop up to one and on none after it, and " +
			"nothing came back: the packets were dropped between those two hops. No more specific cause " +
			"(forwarding, firewall rule, VXLAN entry) was found in the node's state, so look at what sits " +
			"between them.",
		Fix: "On the node named, check what acts between the two hops: routing (ip route get), rp_filter, " +
			"netfilter (FORWARD policy, rules without counters), tc filters, and the interfaces' drop counters " +
			"(ip -s link).",
	},
	{
		ID: IDNodeViewUnavailable, Title: "A node could not be watched", Severity: v1alpha1.SeverityWarning,
		Description: "The node view starts a node pod on the source pod's node and on each target's node. On this " +
			"node it did not start: the probe image is not there and cannot be pulled, the node is NotReady so " +
			"its kubelet never ran the pod, Pod Security or the kubelet refused it. The run went on with the " +
			"nodes that have one: this node's own state (nodeinfo, namespace scan) was not read, and traces " +
			"into it were captured on the other nodes only, so they cannot say where probes died past the " +
			"last watched node. Without another fault the run is inconclusive (exit 2).",
		Fix: "Read the reason in the summary: it names what kept the node pod off the node and how to fix it " +
			"(the image to pre-pull or --image/--registry, the NotReady node to look at, the Pod Security " +
			"exemption), then rerun for that node's view. The other nodes' evidence stands meanwhile.",
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
