//go:build linux

// Package trace is the probe's "trace" check: "the packet died here". It sends
// tagged probes (TCP SYNs from known source ports, or ICMP echoes with a known id
// and sequence) from one network namespace while capturing on every hop of the
// path, possibly across namespaces, then reports per probe the hops where the
// request and its answer were seen, the last hop the request reached and who
// answered. Hops are given (a node pod captures its own node's interfaces; the
// plugin can merge nodes) or discovered from the source namespace (pkg/probes/path).
package trace

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
)

// Check is the trace check.
type Check struct{}

var _ probes.Check = (*Check)(nil)

// Name implements probes.Check.
func (*Check) Name() string { return v1alpha1.CheckTrace }

// capSysAdmin: entering other namespaces (setns) needs it; the probes package
// has no constant for it yet.
const capSysAdmin probes.Capability = "CAP_SYS_ADMIN"

// Requirements implements probes.Check: AF_PACKET and raw ICMP sockets need
// NET_RAW; opening sockets inside pod namespaces (setns) needs SYS_ADMIN.
func (*Check) Requirements() probes.Requirements {
	return probes.Requirements{Capabilities: []probes.Capability{probes.CapNetRaw, capSysAdmin}}
}

// linger is how long the capture keeps running after the last probe, for the
// last answers and retransmissions in flight.
const linger = 100 * time.Millisecond

// Run implements probes.Check.
func (c *Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	s, err := resolveSpec(spec.Trace)
	if err != nil {
		return errorResult(err)
	}
	if s.captureOnly == 0 {
		if s.src, err = sourceAddress(s.source, s.dst); err != nil {
			return errorResult(err)
		}
	}
	hops, err := resolveHops(s)
	if err != nil {
		return errorResult(err)
	}
	ifaces := make([]capture.Interface, len(hops))
	refs := make([]capture.HopRef, len(hops))
	for i, h := range hops {
		ifaces[i] = capture.Interface{Label: h.Label, Netns: h.Netns, Ifname: h.Ifname}
		refs[i] = capture.HopRef{Label: h.Label, Node: h.Node}
	}
	session, err := capture.Start(ctx, ifaces, capture.Options{Filter: s.filter()})
	if err != nil {
		return errorResult(fmt.Errorf("trace: %w", err))
	}

	var sent []capture.Probe
	stoppedOnRequest := false
	if s.captureOnly > 0 {
		report(progress, "capturing on %d hops for %s", len(hops), s.captureOnly)
		stop := probes.StopOf(ctx)
		// Only a requested stop vouches that the sender was done; one that
		// merely ended the wait (the plugin hung up) leaves the plugin to
		// judge the capture's end by the clocks, as for a full window.
		stoppedOnRequest = waitCapture(ctx, s.captureOnly, stop.Done()) && stop.Requested()
	} else {
		report(progress, "capturing on %d hops, sending %d %s probes to %s", len(hops), s.count, s.proto, s.dstString())
		var sendErr error
		sent, sendErr = send(ctx, s)
		time.Sleep(linger)
		if sendErr != nil {
			session.Stop()
			return errorResult(fmt.Errorf("trace: send probes: %w", sendErr))
		}
	}
	res := session.Stop()

	tr := &v1alpha1.TraceResult{Source: addrString(s.src), Destination: s.dst.String(), Port: s.port, Proto: s.proto,
		VXLANPort: int(s.vxlanPort), Hops: hopInfos(hops, res.Interfaces)}
	if s.captureOnly == 0 {
		tr.Probes = capture.Correlate(res.Frames(s.vxlanPort), refs, sent)
	}
	if s.pcap {
		var buf bytes.Buffer
		if err := res.WritePcapNG(&buf, bpf.DefaultSnapLen); err != nil {
			return errorResult(fmt.Errorf("trace: %w", err))
		}
		tr.PcapNG = buf.Bytes()
	}
	if s.captureOnly > 0 {
		tr.StoppedOnRequest = stoppedOnRequest
		return v1alpha1.CheckResult{Status: v1alpha1.StatusPass, Trace: tr,
			Summary: fmt.Sprintf("captured %d packets on %d hops (far half of a trace)", len(res.Packets), len(hops))}
	}
	status, summary := summarize(tr)
	return v1alpha1.CheckResult{Status: status, Summary: summary, Trace: tr}
}

// waitCapture lets a capture-only half capture until its window ends, ctx
// ends, or stop closes, and says whether stop ended it.
// After stop it captures linger longer, within the window, for packets still
// in flight: the plugin's word travels faster than nothing, but not by much.
func waitCapture(ctx context.Context, window time.Duration, stop <-chan struct{}) bool {
	deadline := time.NewTimer(window)
	defer deadline.Stop()
	select {
	case <-deadline.C:
		return false
	case <-ctx.Done():
		return false
	case <-stop:
	}
	select {
	case <-time.After(linger):
	case <-deadline.C:
	case <-ctx.Done():
	}
	return true
}

func errorResult(err error) v1alpha1.CheckResult {
	return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: err.Error()}
}

func report(progress probes.Progress, format string, args ...any) {
	if progress != nil {
		progress(fmt.Sprintf(format, args...))
	}
}
