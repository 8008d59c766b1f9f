//go:build linux

package trace

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestResolveSpecDefaultsAndErrors(t *testing.T) {
	s, err := resolveSpec(&v1alpha1.TraceSpec{Destination: "10.253.2.5", Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	if s.proto != v1alpha1.TraceTCP || s.count != DefaultCount || s.timeout != DefaultProbeTimeout || s.vxlanPort != bpf.DefaultVXLANPort ||
		s.firstPort < firstTagPort || s.firstPort+s.count > lastTagPort {
		t.Errorf("defaults %+v", s)
	}
	for name, in := range map[string]*v1alpha1.TraceSpec{
		"nil":            nil,
		"IPv6":           {Destination: "fd00::1", Port: 80},
		"hostname":       {Destination: "web", Port: 80},
		"tcp no port":    {Destination: "10.0.0.1"},
		"proto":          {Destination: "10.0.0.1", Proto: "udp", Port: 53},
		"count":          {Destination: "10.0.0.1", Port: 80, Count: maxCount + 1},
		"ports overflow": {Destination: "10.0.0.1", Port: 80, SourcePort: 65535, Count: 2},
		"icmp id range":  {Destination: "10.0.0.1", Proto: v1alpha1.TraceICMP, ICMPID: 0x10000},
		"capture-only icmp without the sender's id": {Destination: "10.0.0.1", Proto: v1alpha1.TraceICMP, CaptureOnlyMillis: 100,
			Hops: []v1alpha1.TraceHop{{Name: "eth0", Ifname: "eth0"}}},
	} {
		if _, err := resolveSpec(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if s, err := resolveSpec(&v1alpha1.TraceSpec{Destination: "10.0.0.1", Proto: v1alpha1.TraceICMP}); err != nil || s.icmpID == 0 {
		t.Errorf("icmp without port: %v (id %d)", err, s.icmpID)
	}
	if s, err := resolveSpec(&v1alpha1.TraceSpec{Destination: "10.0.0.1", Proto: v1alpha1.TraceICMP, ICMPID: 0x5a01}); err != nil || s.icmpID != 0x5a01 {
		t.Errorf("planned icmp id: %v (id %#x)", err, s.icmpID)
	}
}

// An ICMP trace's filter keeps its own echoes on every term, the far half's
// (no source address) included.
func TestFilterKeepsOwnEchoes(t *testing.T) {
	far := &traceSpec{proto: v1alpha1.TraceICMP, icmpID: 0x5a01, vxlanPort: 8472, dst: addr("10.253.2.5")}
	want := []bpf.Term{{Proto: bpf.ProtoICMP, A: addr("10.253.2.5"), EchoID: 0x5a01}}
	if got := far.filter().Terms; !slices.Equal(got, want) {
		t.Errorf("far half terms %+v, want %+v", got, want)
	}
	sender := *far
	sender.src = addr("10.253.1.5")
	want = append(want, bpf.Term{Proto: bpf.ProtoICMP, A: addr("10.253.1.5"), EchoID: 0x5a01})
	if got := sender.filter().Terms; !slices.Equal(got, want) {
		t.Errorf("sender terms %+v, want %+v", got, want)
	}
}

func TestFilterFollowsNAT(t *testing.T) {
	s := &traceSpec{proto: v1alpha1.TraceTCP, firstPort: 61000, count: 3, vxlanPort: 8472, src: addr("10.253.1.5"), dst: addr("10.96.0.10")}
	f := s.filter()
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	// The TCP term must not pin the ClusterIP (DNAT) nor the pod IP (SNAT).
	tcp := f.Terms[0]
	if tcp.A.IsValid() || tcp.B.IsValid() || tcp.APorts != (bpf.PortRange{Lo: 61000, Hi: 61002}) || !tcp.BPorts.Any() {
		t.Errorf("tcp term %+v", tcp)
	}
	// ICMP errors about the SYNs, not the source's pings.
	if errs := f.Terms[1]; errs != (bpf.Term{Proto: bpf.ProtoICMP, A: addr("10.253.1.5"), NoEchoes: true}) {
		t.Errorf("icmp term %+v", errs)
	}
}

func TestSummarize(t *testing.T) {
	ok := v1alpha1.TraceProbe{LastHop: "b/pod", Reply: &v1alpha1.TraceReply{Kind: "syn-ack", FirstHop: "b/pod", What: "SYN-ACK"}}
	dropped := v1alpha1.TraceProbe{LastHop: "b/flannel.1"}
	rst := v1alpha1.TraceProbe{LastHop: "b/flannel.1", Reply: &v1alpha1.TraceReply{Kind: "rst", What: "RST-ACK", FirstHop: "b/flannel.1"}}
	hops := []v1alpha1.TraceHopInfo{{Label: "a/pod", LinkType: "ethernet"}, {Label: "b/pod", LinkType: "ethernet"}}
	for _, tc := range []struct {
		probes []v1alpha1.TraceProbe
		hops   []v1alpha1.TraceHopInfo
		status v1alpha1.Status
		line   string
	}{
		{[]v1alpha1.TraceProbe{ok, ok}, hops, v1alpha1.StatusPass, "2/2 answered"},
		{[]v1alpha1.TraceProbe{ok, dropped}, hops, v1alpha1.StatusFail, "1/2 answered; request last seen at b/flannel.1, nothing came back"},
		{[]v1alpha1.TraceProbe{rst}, hops, v1alpha1.StatusFail, "0/1 answered; request last seen at b/flannel.1, RST-ACK first seen at b/flannel.1"},
		{[]v1alpha1.TraceProbe{{}}, hops, v1alpha1.StatusFail, "0/1 answered; the probe was seen on no hop"},
		{[]v1alpha1.TraceProbe{ok}, []v1alpha1.TraceHopInfo{{Label: "a/pod", LinkType: "ethernet"}, {Label: "b/pod", Error: "x"}}, v1alpha1.StatusWarn, "1/1 answered (not captured: b/pod)"},
		{[]v1alpha1.TraceProbe{ok}, []v1alpha1.TraceHopInfo{{Label: "a/pod", Error: "x"}}, v1alpha1.StatusError, "no hop could be captured"},
	} {
		status, line := summarize(&v1alpha1.TraceResult{Probes: tc.probes, Hops: tc.hops})
		if status != tc.status || line != tc.line {
			t.Errorf("got %s %q, want %s %q", status, line, tc.status, tc.line)
		}
	}
}
