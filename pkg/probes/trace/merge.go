package trace

// This file builds on every platform: the plugin merges the halves of a trace
// that crossed nodes.

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
)

// echoMarker is the payload of echo seq of a trace: it identifies the echo
// even when NAT rewrote its id.
func echoMarker(id, seq uint16) []byte {
	return fmt.Appendf(nil, "netcheck-trace %04x-%d", id, seq)
}

// Merge correlates a trace over the hops of several probes: sender is the
// result of the probe that sent (with PcapOut), far the capture-only results of
// the probes on the other nodes, in the order the request reaches them. The
// pcapng files are joined and every probe is correlated again over all hops.
func Merge(sender *v1alpha1.TraceResult, far ...*v1alpha1.TraceResult) (*v1alpha1.TraceResult, error) {
	if sender == nil || len(sender.PcapNG) == 0 {
		return nil, errors.New("trace merge: the sender's result has no pcapng (run it with pcapOut)")
	}
	src, err := netip.ParseAddr(sender.Source)
	if err != nil {
		return nil, fmt.Errorf("trace merge: sender source %q: %w", sender.Source, err)
	}
	parts := []*v1alpha1.TraceResult{sender}
	parts = append(parts, far...)
	captures := make([]*capture.Result, 0, len(parts))
	out := &v1alpha1.TraceResult{Source: sender.Source, Destination: sender.Destination, Port: sender.Port, Proto: sender.Proto,
		VXLANPort: sender.VXLANPort}
	var refs []capture.HopRef
	for i, p := range parts {
		c, err := capture.ReadPcapNG(bytes.NewReader(p.PcapNG))
		if err != nil {
			return nil, fmt.Errorf("trace merge: result %d: %w", i, err)
		}
		if len(c.Interfaces) != len(p.Hops) {
			return nil, fmt.Errorf("trace merge: result %d has %d hops but %d pcapng interfaces", i, len(p.Hops), len(c.Interfaces))
		}
		captures = append(captures, c)
		out.Hops = append(out.Hops, p.Hops...)
		for _, h := range p.Hops {
			refs = append(refs, capture.HopRef{Label: h.Label, Node: h.Node})
		}
	}
	merged := capture.Merge(captures...)
	out.Probes = capture.Correlate(merged.Frames(uint16(sender.VXLANPort)), refs, probesOf(sender, src))
	var buf bytes.Buffer
	if err := merged.WritePcapNG(&buf, bpf.DefaultSnapLen); err != nil {
		return nil, fmt.Errorf("trace merge: %w", err)
	}
	out.PcapNG = buf.Bytes()
	return out, nil
}

// probesOf recovers the tags the sender used from its result.
func probesOf(tr *v1alpha1.TraceResult, src netip.Addr) []capture.Probe {
	out := make([]capture.Probe, len(tr.Probes))
	for i, p := range tr.Probes {
		out[i] = capture.Probe{Src: src, Outcome: p.Outcome}
		if tr.Proto == v1alpha1.TraceICMP {
			out[i].Proto = bpf.ProtoICMP
			out[i].ICMPID, out[i].ICMPSeq = uint16(p.ICMPID), uint16(p.ICMPSeq)
			out[i].Marker = echoMarker(out[i].ICMPID, out[i].ICMPSeq)
			continue
		}
		out[i].Proto, out[i].SrcPort = bpf.ProtoTCP, uint16(p.SrcPort)
	}
	return out
}
