package icmp

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// path simulates a path for the pure sweep logic: DF packets up to pathMTU pass;
// larger ones get frag-needed from hop (or vanish when hop is ""); sizes above
// cached fail locally. lossy sizes lose their first try only.
type path struct {
	pathMTU, cached int
	hop             string
	lossy           map[int]bool
	sent            []int
}

func (p *path) probe(size int) v1alpha1.SizeProbe {
	p.sent = append(p.sent, size)
	switch {
	case p.cached > 0 && size > p.cached:
		return v1alpha1.SizeProbe{Size: size, Outcome: "emsgsize", ReportedMTU: p.cached}
	case p.lossy[size]:
		delete(p.lossy, size)
		return v1alpha1.SizeProbe{Size: size, Outcome: "timeout"}
	case size <= p.pathMTU:
		return v1alpha1.SizeProbe{Size: size, Outcome: "ok"}
	case p.hop != "":
		p.cached = p.pathMTU // what the kernel does with a frag-needed
		return v1alpha1.SizeProbe{Size: size, Outcome: "frag-needed", ReportedMTU: p.pathMTU, ReportedBy: p.hop}
	}
	return v1alpha1.SizeProbe{Size: size, Outcome: "timeout"}
}

func TestSweep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     path
		lowOK int
		want  v1alpha1.MTUResult
		sends int
	}{
		{"fits in one probe", path{pathMTU: 1500}, 84,
			v1alpha1.MTUResult{Outcome: v1alpha1.MTUFits, InterfaceMTU: 1500, LargestOK: 1500, PathMTU: 1500}, 1},
		{"one lost packet is retried, not a verdict", path{pathMTU: 1500, lossy: map[int]bool{1500: true}}, 84,
			v1alpha1.MTUResult{Outcome: v1alpha1.MTUFits, InterfaceMTU: 1500, LargestOK: 1500, PathMTU: 1500}, 2},
		{"frag-needed is followed straight to the reported MTU", path{pathMTU: 1400, hop: "10.0.0.1"}, 84,
			v1alpha1.MTUResult{Outcome: v1alpha1.MTUFragNeeded, InterfaceMTU: 1500, LargestOK: 1400, SmallestLost: 1500,
				PathMTU: 1400, ReportedMTU: 1400, ReportedBy: "10.0.0.1"}, 2},
		{"cached path MTU refuses locally", path{pathMTU: 1500, cached: 1450}, 84,
			v1alpha1.MTUResult{Outcome: v1alpha1.MTULocal, InterfaceMTU: 1500, LargestOK: 1450, SmallestLost: 1500,
				PathMTU: 1450, ReportedMTU: 1450}, 2},
		{"black hole is binary-searched to the byte", path{pathMTU: 1450}, 84,
			v1alpha1.MTUResult{Outcome: v1alpha1.MTUBlackHole, InterfaceMTU: 1500, LargestOK: 1450, SmallestLost: 1451, PathMTU: 1450}, 0},
		{"nothing got through", path{pathMTU: 0}, 0,
			v1alpha1.MTUResult{Outcome: v1alpha1.MTUUnknown, InterfaceMTU: 1500, SmallestLost: 1500}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sweep(1500, tc.lowOK, tc.p.probe)
			probes := got.Probes
			got.Probes = nil
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("-want +got\n%s", d)
			}
			if tc.sends > 0 && len(tc.p.sent) != tc.sends {
				t.Errorf("sent %v, want %d probes", tc.p.sent, tc.sends)
			}
			if len(probes) != len(tc.p.sent) {
				t.Errorf("recorded %d probes for %d sends", len(probes), len(tc.p.sent))
			}
		})
	}
}
