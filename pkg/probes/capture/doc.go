// Package capture records packets on several interfaces at once, possibly in
// different network namespaces (pod eth0, the host veth, cni0, flannel.1, the
// node NIC), decodes them (VXLAN included) and correlates the packets of tagged
// probes across those hops: where a probe was seen, where it was last seen and
// what came back. It writes the capture as one pcapng file with an interface
// block per hop.
//
// Each interface gets its own AF_PACKET socket with a TPACKET_V3 ring, opened
// inside the interface's namespace (the socket keeps that namespace afterwards)
// and filtered in the kernel by a classic BPF program from pkg/probes/bpf.
package capture
