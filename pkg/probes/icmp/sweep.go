package icmp

import (
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Prober sends one DF echo of a whole-IP-packet size and says how it fared.
type Prober func(size int) v1alpha1.SizeProbe

// Sweep finds the path MTU between lowOK (a size known to get through; 0 when
// no echo got through at all) and top (the egress interface MTU).
//
// The healthy case costs one round trip: top itself fits. Otherwise a hop's
// frag-needed (or the local stack's EMSGSIZE, which reflects an MTU the kernel
// cached from an earlier frag-needed) names a candidate MTU that is tried next;
// when nothing names one, a binary search over sizes finds the largest that
// passes. A size that times out is retried once, so one lost packet is never an
// MTU verdict.
func Sweep(top, lowOK int, probe Prober) v1alpha1.MTUResult {
	res := v1alpha1.MTUResult{InterfaceMTU: top}
	tried := map[int]bool{}
	try := func(size int) v1alpha1.SizeProbe {
		tried[size] = true
		p := probe(size)
		res.Probes = append(res.Probes, p)
		if p.Outcome == "timeout" {
			p = probe(size)
			res.Probes = append(res.Probes, p)
		}
		return p
	}

	first := try(top)
	if first.Outcome == "ok" {
		res.Outcome, res.LargestOK, res.PathMTU = v1alpha1.MTUFits, top, top
		return res
	}
	lo, hi := lowOK, top
	reported, local := 0, 0
	timedOut, localSeen := false, false
	note := func(p v1alpha1.SizeProbe) bool {
		switch p.Outcome {
		case "ok":
			lo = max(lo, p.Size)
			return true
		case "frag-needed":
			reported, res.ReportedMTU, res.ReportedBy = p.ReportedMTU, p.ReportedMTU, p.ReportedBy
		case "emsgsize":
			localSeen = true
			if p.ReportedMTU > 0 {
				local = p.ReportedMTU
			}
		case "timeout":
			timedOut = true
		default: // an ICMP error other than frag-needed: the sweep cannot go on
			return false
		}
		hi = min(hi, p.Size)
		return true
	}
	ok := note(first)
	for ok && lo > 0 && hi-lo > 1 {
		if reported > 0 && lo >= reported {
			break // the hop's report is confirmed: sizes above it cannot pass
		}
		if local > 0 && lo >= local {
			break // the MTU the kernel enforces is confirmed
		}
		size := (lo + hi) / 2
		for _, cand := range []int{reported, local} {
			if cand > lo && cand < hi && !tried[cand] {
				size = cand
				break
			}
		}
		ok = note(try(size))
	}

	res.LargestOK = lo
	if lo < top {
		res.SmallestLost = hi
	}
	switch {
	case lo == 0 || !ok:
		res.Outcome = v1alpha1.MTUUnknown
	case reported > 0 && lo >= reported:
		res.Outcome, res.PathMTU = v1alpha1.MTUFragNeeded, reported
	case timedOut:
		res.Outcome, res.PathMTU = v1alpha1.MTUBlackHole, lo
	case localSeen:
		// No hop spoke during this sweep; the kernel refused sizes above an MTU it
		// holds (a route mtu, or a path MTU cached from an earlier frag-needed).
		res.Outcome, res.PathMTU, res.ReportedMTU = v1alpha1.MTULocal, lo, local
	default:
		res.Outcome = v1alpha1.MTUUnknown
	}
	return res
}
