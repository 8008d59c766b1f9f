//go:build linux

package trace

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// Defaults for fields a TraceSpec leaves at zero.
const (
	DefaultCount        = 3
	DefaultProbeTimeout = 1500 * time.Millisecond
	// Tag ports are picked in [firstTagPort, lastTagPort): above Linux's default
	// ephemeral range (32768-60999), so no ordinary connection shares a tag port.
	firstTagPort = 61000
	lastTagPort  = 65000
	maxCount     = 64
)

// traceSpec is a TraceSpec with defaults applied and addresses parsed.
type traceSpec struct {
	source    string
	dst       netip.Addr
	port      int
	proto     string
	hops      []v1alpha1.TraceHop
	count     int
	firstPort int
	vxlanPort uint16
	timeout   time.Duration
	pcap      bool
	// captureOnly, when > 0, is how long to capture without sending.
	captureOnly time.Duration
	// src is the source namespace's address towards dst, filled when sending.
	src netip.Addr
	// icmpID tags this trace's echoes.
	icmpID uint16
}

func resolveSpec(in *v1alpha1.TraceSpec) (*traceSpec, error) {
	if in == nil {
		return nil, errors.New("trace check needs trace.destination (and trace.port for tcp)")
	}
	dst, err := netip.ParseAddr(in.Destination)
	if err != nil || !dst.Unmap().Is4() {
		return nil, fmt.Errorf("trace: destination %q is not an IPv4 address (only IPv4 is traced)", in.Destination)
	}
	s := &traceSpec{source: in.Source, dst: dst.Unmap(), port: in.Port, proto: in.Proto, hops: in.Hops,
		count: in.Count, firstPort: in.SourcePort, vxlanPort: uint16(in.VXLANPort), pcap: in.PcapOut,
		timeout: time.Duration(in.ProbeTimeoutMillis) * time.Millisecond, icmpID: uint16(rand.N(0xffff) + 1),
		captureOnly: time.Duration(in.CaptureOnlyMillis) * time.Millisecond}
	if s.proto == "" {
		s.proto = v1alpha1.TraceTCP
	}
	if s.count <= 0 {
		s.count = DefaultCount
	}
	if s.timeout <= 0 {
		s.timeout = DefaultProbeTimeout
	}
	if s.vxlanPort == 0 {
		s.vxlanPort = bpf.DefaultVXLANPort
	}
	if s.captureOnly > 0 {
		// The far half must keep the sender's tags, so it cannot pick its own.
		switch {
		case len(s.hops) == 0:
			return nil, errors.New("trace: capture-only needs the hops to capture on")
		case s.proto == v1alpha1.TraceTCP && in.SourcePort == 0:
			return nil, errors.New("trace: capture-only tcp needs sourcePort and count, the same as the sender's")
		case s.proto == v1alpha1.TraceICMP && in.ICMPID == 0:
			return nil, errors.New("trace: capture-only icmp needs icmpID, the same as the sender's")
		}
		s.pcap = true
	}
	if in.ICMPID != 0 {
		s.icmpID = uint16(in.ICMPID)
	}
	if s.firstPort == 0 {
		s.firstPort = firstTagPort + rand.N(lastTagPort-firstTagPort-maxCount)
	}
	switch {
	case s.proto != v1alpha1.TraceTCP && s.proto != v1alpha1.TraceICMP:
		return nil, fmt.Errorf("trace: proto %q: use tcp or icmp", s.proto)
	case s.proto == v1alpha1.TraceTCP && (s.port <= 0 || s.port > 65535):
		return nil, fmt.Errorf("trace: tcp needs a destination port (got %d)", s.port)
	case in.ICMPID < 0 || in.ICMPID > 0xffff:
		return nil, fmt.Errorf("trace: icmpID %d out of range 1-65535", in.ICMPID)
	case s.count > maxCount:
		return nil, fmt.Errorf("trace: count %d, at most %d", s.count, maxCount)
	case s.firstPort <= 0 || s.firstPort+s.count-1 > 65535:
		return nil, fmt.Errorf("trace: source ports %d+%d out of range", s.firstPort, s.count)
	}
	return s, nil
}

func (s *traceSpec) dstString() string {
	if s.proto == v1alpha1.TraceTCP {
		return netip.AddrPortFrom(s.dst, uint16(s.port)).String()
	}
	return s.dst.String()
}

// tagPorts is the source port range of the TCP probes.
func (s *traceSpec) tagPorts() bpf.PortRange {
	return bpf.PortRange{Lo: uint16(s.firstPort), Hi: uint16(s.firstPort + s.count - 1)}
}

// filter keeps the probes and their answers on every hop, plain or in VXLAN.
// TCP probes are kept by their tag ports alone, whatever the addresses: DNAT
// changes the destination, SNAT the source, but both keep the ports (unless
// MASQUERADE must remap a clashing port). ICMP is kept to and from the source
// (errors about the probes, and echoes) and to and from the destination
// (echoes after SNAT); an ICMP trace keeps only the echoes with its own id, so
// a far half (which knows no source) does not keep other runs' pings to the
// same pod, and a TCP trace keeps no echo, so the source's own pings stay out.
// (An id NAT rewrote is lost to the capture; pod-to-pod traffic is not NATed.)
func (s *traceSpec) filter() bpf.Filter {
	f := bpf.Filter{VXLANPort: s.vxlanPort}
	var echoID uint16
	if s.proto == v1alpha1.TraceTCP {
		f.Terms = append(f.Terms, bpf.Term{Proto: bpf.ProtoTCP, APorts: s.tagPorts()})
	} else {
		echoID = s.icmpID
		f.Terms = append(f.Terms, bpf.Term{Proto: bpf.ProtoICMP, A: s.dst, EchoID: echoID})
	}
	if s.src.IsValid() {
		// Errors about the probes (and, for ICMP, its echoes); not the other pings of the source.
		f.Terms = append(f.Terms, bpf.Term{Proto: bpf.ProtoICMP, A: s.src, EchoID: echoID, NoEchoes: echoID == 0})
	}
	return f
}
