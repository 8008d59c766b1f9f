//go:build linux

// Package icmp is the probe's ICMP check (the seeds' `ping` and `ping -M do -s`):
// echo reachability and RTT, then a path-MTU sweep with DF set that tells apart a
// path that fits, a hop that answers fragmentation-needed (and which hop), a
// black hole that silently eats large packets, and the local stack refusing a
// size. It uses a raw socket and x/net/icmp directly because ping libraries drop
// the frag-needed messages this check is about.
package icmp

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// Defaults for fields an ICMPSpec leaves at zero.
const (
	DefaultCount        = 5
	DefaultReplyTimeout = 500 * time.Millisecond
	// echoSize is the whole IP packet size of a plain echo (ping's default 56-byte payload).
	echoSize = 84
)

// Check is the icmp check. The zero value runs in the current network namespace.
type Check struct {
	// Enter, when set, runs the whole check inside a target netns (the node mode
	// locks the thread and setns'es). The check is sequential, so the raw socket
	// and the route lookup both happen on that thread.
	Enter func(fn func() error) error
}

var _ probes.Check = (*Check)(nil)

// Name implements probes.Check.
func (*Check) Name() string { return v1alpha1.CheckICMP }

// Requirements implements probes.Check: raw ICMP sockets need CAP_NET_RAW.
func (*Check) Requirements() probes.Requirements {
	return probes.Requirements{Capabilities: []probes.Capability{probes.CapNetRaw}}
}

// Run implements probes.Check.
func (c *Check) Run(ctx context.Context, spec v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	s := spec.ICMP
	if s == nil || s.Address == "" {
		return errorResult("icmp check needs icmp.address")
	}
	dst := net.ParseIP(s.Address)
	if dst == nil || dst.To4() == nil {
		return errorResult(fmt.Sprintf("icmp address %q: want an IPv4 address (IPv6 is not supported yet)", s.Address))
	}
	var out v1alpha1.CheckResult
	run := func() error { out = Probe(ctx, dst.To4(), *s, progress); return nil }
	if c.Enter != nil {
		if err := c.Enter(run); err != nil {
			return errorResult(err.Error())
		}
		return out
	}
	_ = run()
	return out
}

func errorResult(msg string) v1alpha1.CheckResult {
	return v1alpha1.CheckResult{Status: v1alpha1.StatusError, Error: msg}
}

// Probe runs the echoes and, if asked, the MTU sweep from the calling thread's
// network namespace.
func Probe(ctx context.Context, dst net.IP, s v1alpha1.ICMPSpec, progress probes.Progress) v1alpha1.CheckResult {
	sock, err := Open()
	if err != nil {
		return errorResult(err.Error())
	}
	defer sock.Close()
	timeout := DefaultReplyTimeout
	if s.ReplyTimeoutMillis > 0 {
		timeout = time.Duration(s.ReplyTimeoutMillis) * time.Millisecond
	}
	count := s.Count
	if count <= 0 {
		count = DefaultCount
	}

	res := v1alpha1.ICMPResult{Address: dst.String()}
	var rtts []time.Duration
	for i := 0; i < count && ctx.Err() == nil; i++ {
		r := sock.Echo(dst, echoSize, timeout)
		res.Sent++
		switch r.Kind {
		case "ok":
			res.Received++
			rtts = append(rtts, r.RTT)
		case "error", "frag-needed", "emsgsize":
			res.Errors = appendOnce(res.Errors, errorText(r))
		}
	}
	res.MinMillis, res.AvgMillis, res.MaxMillis = stats(rtts)
	if progress != nil {
		progress(fmt.Sprintf("%d/%d echo replies", res.Received, res.Sent))
	}

	if s.DiscoverMTU {
		res.MTU = discoverMTU(ctx, sock, dst, s.MaxPacket, timeout, res.Received > 0)
	}
	status, summary := verdict(res)
	return v1alpha1.CheckResult{Status: status, Summary: summary, ICMP: &res}
}

// discoverMTU looks up the egress interface and sweeps DF sizes up to its MTU.
func discoverMTU(ctx context.Context, sock *Socket, dst net.IP, maxPacket int, timeout time.Duration, reachable bool) *v1alpha1.MTUResult {
	dev, mtu, err := EgressInterface(dst)
	if err != nil {
		return &v1alpha1.MTUResult{Outcome: v1alpha1.MTUUnknown, Probes: []v1alpha1.SizeProbe{{Outcome: "error", ErrorMessage: err.Error()}}}
	}
	top := min(mtu, MaxPacket)
	if maxPacket > 0 {
		top = min(top, maxPacket)
	}
	lowOK := 0
	if reachable {
		lowOK = echoSize
	}
	probe := func(size int) v1alpha1.SizeProbe {
		if ctx.Err() != nil {
			return v1alpha1.SizeProbe{Size: size, Outcome: "error", ErrorMessage: ctx.Err().Error()}
		}
		r := sock.Echo(dst, size, timeout)
		p := v1alpha1.SizeProbe{Size: size, Outcome: r.Kind, RTTMillis: millis(r.RTT), ReportedMTU: r.MTU, ErrorMessage: r.Detail}
		if r.Kind != "ok" {
			p.ReportedBy = r.From // the hop that sent the ICMP error, not the echo target
		}
		return p
	}
	res := Sweep(top, lowOK, probe)
	res.Interface = dev
	if !reachable && res.Outcome == v1alpha1.MTUUnknown && len(res.Probes) > 0 {
		res.Probes[len(res.Probes)-1].ErrorMessage = "no plain echo got through: nothing to compare sizes against"
	}
	return &res
}

// verdict: pass when every echo came back and the interface MTU fits the path;
// warn when a hop (or the kernel's cache) reports a smaller path MTU, since
// PMTUD works but the interface MTU is too large for the path; fail on any lost
// echo or a black hole.
func verdict(r v1alpha1.ICMPResult) (v1alpha1.Status, string) {
	parts := []string{fmt.Sprintf("%d/%d replies", r.Received, r.Sent)}
	if r.Received > 0 {
		parts[0] += fmt.Sprintf(", rtt min/avg/max %.2f/%.2f/%.2fms", r.MinMillis, r.AvgMillis, r.MaxMillis)
	}
	if len(r.Errors) > 0 {
		parts = append(parts, strings.Join(r.Errors, ", "))
	}
	status := v1alpha1.StatusPass
	if r.Received < r.Sent || r.Sent == 0 {
		status = v1alpha1.StatusFail
	}
	if m := r.MTU; m != nil {
		parts = append(parts, mtuText(m))
		switch m.Outcome {
		case v1alpha1.MTUBlackHole:
			status = v1alpha1.StatusFail
		case v1alpha1.MTUFragNeeded, v1alpha1.MTULocal, v1alpha1.MTUUnknown:
			if status == v1alpha1.StatusPass {
				status = v1alpha1.StatusWarn
			}
		}
	}
	return status, strings.Join(parts, "; ")
}

func mtuText(m *v1alpha1.MTUResult) string {
	iface := fmt.Sprintf("%s MTU %d", m.Interface, m.InterfaceMTU)
	switch m.Outcome {
	case v1alpha1.MTUFits:
		return fmt.Sprintf("path MTU %d fits (%s)", m.PathMTU, iface)
	case v1alpha1.MTUFragNeeded:
		return fmt.Sprintf("path MTU %d: %s answered fragmentation-needed (%s)", m.PathMTU, m.ReportedBy, iface)
	case v1alpha1.MTUBlackHole:
		return fmt.Sprintf("MTU black hole: DF packets of %d bytes and more vanish without an ICMP error, %d pass (%s)",
			m.SmallestLost, m.LargestOK, iface)
	case v1alpha1.MTULocal:
		return fmt.Sprintf("local stack refuses DF packets above %d (cached or route path MTU; %s)", m.PathMTU, iface)
	}
	return fmt.Sprintf("path MTU unknown (%s)", iface)
}

func errorText(r Reply) string {
	if r.Detail != "" {
		return r.Detail
	}
	return r.Kind
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func stats(rtts []time.Duration) (lo, avg, hi float64) {
	if len(rtts) == 0 {
		return 0, 0, 0
	}
	var sum time.Duration
	minD, maxD := rtts[0], rtts[0]
	for _, d := range rtts {
		sum += d
		minD, maxD = min(minD, d), max(maxD, d)
	}
	return millis(minD), millis(sum / time.Duration(len(rtts))), millis(maxD)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
