//go:build linux

package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path/pathtest"
)

const serverPort = 8080

func runTrace(t *testing.T, ts v1alpha1.TraceSpec) v1alpha1.CheckResult {
	t.Helper()
	res := (&Check{}).Run(context.Background(), v1alpha1.CheckSpec{ID: "t", Check: v1alpha1.CheckTrace, Trace: &ts}, func(string) {})
	if res.Status == v1alpha1.StatusError {
		t.Fatalf("trace could not run: %s", res.Error)
	}
	if res.Trace == nil || len(res.Trace.Probes) != max(ts.Count, 1) {
		t.Fatalf("trace result %+v", res.Trace)
	}
	t.Logf("%s: %s", res.Status, res.Summary)
	return res
}

func tcpSpec(topo *pathtest.TwoNodes, hops []v1alpha1.TraceHop, count int) v1alpha1.TraceSpec {
	return v1alpha1.TraceSpec{Source: topo.A.PodNetns(), Destination: topo.B.PodIP.String(), Port: serverPort,
		Proto: v1alpha1.TraceTCP, Hops: hops, Count: count, ProbeTimeoutMillis: 800}
}

func TestTraceSYNSeenOnEveryHopAndAnswered(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	spec := tcpSpec(topo, twoNodeHops(t, topo), 2)
	spec.PcapOut = true
	res := runTrace(t, spec)
	if res.Status != v1alpha1.StatusPass {
		t.Fatalf("status %s: %s", res.Status, res.Summary)
	}
	tr := res.Trace

	wantMTU := []int{1450, 1450, 1450, 1450, 1500, 1500, 1450, 1450, 1450, 1450}
	for i, h := range tr.Hops {
		if h.Label != allHops[i] || h.MTU != wantMTU[i] || h.Error != "" || h.LinkType != "ethernet" || h.Packets == 0 {
			t.Errorf("hop %d: %+v", i, h)
		}
	}
	if vx := tr.Hops[3].VXLAN; vx == nil || vx.VNI != 1 || vx.Local != topo.A.UnderlayIP.String() || vx.DstPort != 8472 {
		t.Errorf("nodeA flannel.1 vxlan facts %+v", vx)
	}

	for _, p := range tr.Probes {
		if p.Outcome != "ok" || p.LastHop != hopPodB || p.ISN == 0 {
			t.Errorf("%s: outcome %s last hop %s", p.Tag, p.Outcome, p.LastHop)
		}
		if got := seen(p, v1alpha1.TraceDirRequest); !slices.Equal(got, allHops) {
			t.Errorf("%s: SYN seen on %v, want every hop", p.Tag, got)
		}
		if got := seen(p, v1alpha1.TraceDirReply); !slices.Equal(got, reversed(allHops)) {
			t.Errorf("%s: SYN-ACK seen on %v, want every hop back", p.Tag, got)
		}
		r := p.Reply
		if r == nil || r.Kind != "syn-ack" || r.FirstHop != hopPodB || r.LastHop != hopPodA || r.TTL != 64 || r.RoutedBefore != 0 {
			t.Errorf("%s: reply %+v", p.Tag, r)
		}
		// The underlay carries the SYN inside VXLAN between the two VTEPs.
		for _, hop := range []string{hopUnderlayA, hopUnderlayB} {
			s, _ := sighting(p, v1alpha1.TraceDirRequest, hop)
			if s.OuterSrc != topo.A.UnderlayIP.String() || s.OuterDst != topo.B.UnderlayIP.String() || s.VNI != 1 || s.DstMAC != topo.B.VXLANMAC {
				t.Errorf("%s on %s: %+v", p.Tag, hop, s)
			}
		}
		// TTL: nodeA routes between cni0 and flannel.1, nodeB between flannel.1 and cni0.
		for hop, ttl := range map[string]int{hopBridgeA: 64, hopVXLANA: 63, hopVXLANB: 63, hopBridgeB: 62, hopPodB: 62} {
			if s, _ := sighting(p, v1alpha1.TraceDirRequest, hop); s.TTL != ttl {
				t.Errorf("%s: TTL %d on %s, want %d", p.Tag, s.TTL, hop, ttl)
			}
		}
	}
	checkPcapNG(t, tr)
}

// checkPcapNG opens the pcapng file the trace wrote: one interface per hop,
// named node/hop, and every probe's SYN on every hop; tshark must parse it too.
func checkPcapNG(t *testing.T, tr *v1alpha1.TraceResult) {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(tr.PcapNG), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("pcapng: %v", err)
	}
	syns := map[string]int{} // hop -> SYNs with a tag port
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("pcapng packet: %v", err)
		}
		ifc, _ := r.Interface(ci.InterfaceIndex)
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		// gopacket decodes VXLAN only on 4789: find the innermost TCP by hand.
		if tcp := innermostTCP(pkt); tcp != nil && tcp.SYN && !tcp.ACK && int(tcp.SrcPort) == tr.Probes[0].SrcPort {
			syns[ifc.Name]++
		}
	}
	if r.NInterfaces() != len(allHops) {
		t.Fatalf("pcapng has %d interfaces, want %d", r.NInterfaces(), len(allHops))
	}
	for i, want := range allHops {
		if ifc, _ := r.Interface(i); ifc.Name != want || ifc.LinkType != layers.LinkTypeEthernet {
			t.Errorf("interface %d = %q %v, want %q ethernet", i, ifc.Name, ifc.LinkType, want)
		}
		if syns[want] == 0 {
			t.Errorf("no probe SYN on %s in the pcapng", want)
		}
	}

	if _, err := exec.LookPath("tshark"); err != nil {
		t.Log("tshark not installed: skipping its parse of the pcapng")
		return
	}
	file := filepath.Join(t.TempDir(), "trace.pcapng")
	if err := os.WriteFile(file, tr.PcapNG, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tshark", "-r", file, "-d", "udp.port==8472,vxlan", "-q", "-z", "io,phs").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	t.Logf("tshark -z io,phs:\n%s", out)
	for _, proto := range []string{"eth", "ip", "tcp", "vxlan"} {
		if !strings.Contains(string(out), proto) {
			t.Errorf("tshark protocol hierarchy lacks %s:\n%s", proto, out)
		}
	}
}

func innermostTCP(pkt gopacket.Packet) *layers.TCP {
	if udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && udp.DstPort == 8472 {
		pkt = gopacket.NewPacket(udp.Payload, layers.LayerTypeVXLAN, gopacket.Default)
	}
	tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	return tcp
}

// A DROP in nodeB's FORWARD chain: the SYN is decapsulated on nodeB's flannel.1
// and dies in routing, before nodeB's bridge.
func TestTraceDropInNodeBForward(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	topo.B.Host.IPTables(t, "-I", "FORWARD", "-p", "tcp", "--dport", fmt.Sprint(serverPort), "-j", "DROP")
	spec := tcpSpec(topo, twoNodeHops(t, topo), 1)
	spec.ProbeTimeoutMillis = 1300 // past the 1s SYN retransmission
	res := runTrace(t, spec)
	p := res.Trace.Probes[0]
	if res.Status != v1alpha1.StatusFail || p.Outcome != "timeout" || p.Reply != nil {
		t.Fatalf("status %s outcome %s reply %+v", res.Status, p.Outcome, p.Reply)
	}
	if want := allHops[:7]; p.LastHop != hopVXLANB || !slices.Equal(seen(p, v1alpha1.TraceDirRequest), want) {
		t.Fatalf("last hop %s, seen on %v; want last %s, seen on %v", p.LastHop, seen(p, v1alpha1.TraceDirRequest), hopVXLANB, want)
	}
	if s, _ := sighting(p, v1alpha1.TraceDirRequest, hopPodA); s.Count < 2 {
		t.Errorf("the unanswered SYN was retransmitted after 1s, the capture should count it: %+v", s)
	}
	if !strings.Contains(res.Summary, hopVXLANB) {
		t.Errorf("summary %q does not name %s", res.Summary, hopVXLANB)
	}
}

// A REJECT --reject-with tcp-reset in nodeB's FORWARD chain answers with an RST
// that carries podB's address but is generated by nodeB: first seen leaving
// nodeB's flannel.1 with TTL 64 (podB's own answers leave flannel.1 with 63),
// and the SYN never reached nodeB's bridge.
func TestTraceRejectInNodeBForward(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	topo.B.Host.IPTables(t, "-I", "FORWARD", "-p", "tcp", "--dport", fmt.Sprint(serverPort), "-j", "REJECT", "--reject-with", "tcp-reset")
	res := runTrace(t, tcpSpec(topo, twoNodeHops(t, topo), 1))
	p := res.Trace.Probes[0]
	r := p.Reply
	if res.Status != v1alpha1.StatusFail || p.Outcome != "refused" || r == nil {
		t.Fatalf("status %s outcome %s reply %+v", res.Status, p.Outcome, r)
	}
	if p.LastHop != hopVXLANB || r.Kind != "rst" || r.FirstHop != hopVXLANB || r.TTL != 64 || r.RoutedBefore != 0 {
		t.Fatalf("last hop %s, reply %+v", p.LastHop, r)
	}
	t.Logf("reply: %+v", *r)
	if r.Src != fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort) || !strings.Contains(r.Origin, "nodeB") {
		t.Errorf("reply from %s, origin %q", r.Src, r.Origin)
	}
	if got := seen(p, v1alpha1.TraceDirReply); !slices.Equal(got, reversed(allHops[:7])) {
		t.Errorf("RST seen on %v, want %v", got, reversed(allHops[:7]))
	}
	if s, _ := sighting(p, v1alpha1.TraceDirReply, hopUnderlayB); s.OuterSrc != topo.B.UnderlayIP.String() {
		t.Errorf("RST on nodeB's underlay: %+v", s)
	}
}

// A stale FDB entry on nodeA sends nodeB's VTEP MAC to an address nobody has:
// the SYN enters nodeA's flannel.1 and never reaches nodeA's underlay, let alone
// nodeB's.
func TestTraceWrongFDBOnNodeA(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	hops := twoNodeHops(t, topo)
	topo.A.ReplaceFDB(t, topo.B, addr("10.250.0.9"))
	res := runTrace(t, tcpSpec(topo, hops, 1))
	p := res.Trace.Probes[0]
	if res.Status != v1alpha1.StatusFail || p.LastHop != hopVXLANA || p.Reply != nil {
		t.Fatalf("status %s last hop %s reply %+v, seen %v", res.Status, p.LastHop, p.Reply, seen(p, v1alpha1.TraceDirRequest))
	}
	for _, s := range p.Seen {
		if s.Hop == hopUnderlayB && s.DstMAC == topo.B.VXLANMAC {
			t.Errorf("the SYN reached nodeB's underlay for nodeB's VTEP: %+v", s)
		}
	}
}

// A wrong neighbour entry (and an FDB entry that goes with it) on nodeA: the
// frame reaches nodeB's underlay, but for a MAC that is not nodeB's flannel.1, so
// nodeB's stack discards it. The inner destination MAC is the evidence.
func TestTraceWrongVTEPMACOnNodeA(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	hops := twoNodeHops(t, topo)
	const wrongMAC = "02:00:00:fa:00:99"
	topo.A.Host.IP(t, "neigh", "replace", topo.B.VXLANIP.String(), "lladdr", wrongMAC, "dev", pathtest.VXLANDev, "nud", "permanent")
	topo.A.Host.Exec(t, "bridge", "fdb", "append", wrongMAC, "dev", pathtest.VXLANDev, "dst", topo.B.UnderlayIP.String())
	res := runTrace(t, tcpSpec(topo, hops, 1))
	p := res.Trace.Probes[0]
	s, ok := sighting(p, v1alpha1.TraceDirRequest, hopUnderlayB)
	if res.Status != v1alpha1.StatusFail || !ok || s.DstMAC != wrongMAC || p.Reply != nil {
		t.Fatalf("status %s, on nodeB underlay %v %+v, reply %+v", res.Status, ok, s, p.Reply)
	}
	for _, s := range p.Seen {
		if s.HopIndex > 6 {
			t.Errorf("the SYN got past nodeB's flannel.1: %+v", s)
		}
	}
}

func TestTraceICMPEcho(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	res := runTrace(t, v1alpha1.TraceSpec{Source: topo.A.PodNetns(), Destination: topo.B.PodIP.String(), Proto: v1alpha1.TraceICMP,
		Hops: twoNodeHops(t, topo), Count: 2, ProbeTimeoutMillis: 800})
	if res.Status != v1alpha1.StatusPass {
		t.Fatalf("%s: %s", res.Status, res.Summary)
	}
	for _, p := range res.Trace.Probes {
		if p.Outcome != "reply" || !slices.Equal(seen(p, v1alpha1.TraceDirRequest), allHops) || p.Reply == nil ||
			p.Reply.Kind != "echo-reply" || p.Reply.FirstHop != hopPodB {
			t.Errorf("%s: outcome %s seen %v reply %+v", p.Tag, p.Outcome, seen(p, v1alpha1.TraceDirRequest), p.Reply)
		}
	}
}

// Without hops the check discovers its own node's path, as a hostNetwork node
// probe would: the test runs the check inside nodeA's namespace.
func TestTraceDiscoversLocalHops(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	var res v1alpha1.CheckResult
	err := topo.A.Host.Do(func() error {
		res = (&Check{}).Run(context.Background(), v1alpha1.CheckSpec{ID: "t", Check: v1alpha1.CheckTrace,
			Trace: &v1alpha1.TraceSpec{Source: topo.A.PodNetns(), Destination: topo.B.PodIP.String(), Port: serverPort, Count: 1}}, nil)
		return nil
	})
	if err != nil || res.Status != v1alpha1.StatusPass {
		t.Fatalf("%v: %s %s %s", err, res.Status, res.Summary, res.Error)
	}
	var roles []string
	for _, h := range res.Trace.Hops {
		roles = append(roles, h.Role+":"+h.Ifname)
	}
	want := []string{"pod:eth0", "host-veth:vethA", "bridge:cni0", "overlay:flannel.1", "underlay:eth0"}
	if !slices.Equal(roles, want) || res.Trace.Hops[3].VXLAN.RemoteVTEP != topo.B.UnderlayIP.String() {
		t.Fatalf("hops %v (vxlan %+v), want %v", roles, res.Trace.Hops[3].VXLAN, want)
	}
	if p := res.Trace.Probes[0]; len(seen(p, v1alpha1.TraceDirRequest)) != 5 || p.Reply == nil || p.Reply.Kind != "syn-ack" {
		t.Fatalf("probe %+v", p)
	}
}

// A trace across nodes as the plugin runs it: a capture-only probe on nodeB,
// started first, and the sender on nodeA; Merge correlates over all ten hops.
func TestTraceMergesTwoProbes(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	hops := twoNodeHops(t, topo)
	const firstPort, count = 62000, 2

	farDone := startFarHalf(context.Background(), v1alpha1.TraceSpec{Destination: topo.B.PodIP.String(), Port: serverPort, Hops: hops[5:], Count: count,
		SourcePort: firstPort, CaptureOnlyMillis: 3000})
	spec := tcpSpec(topo, hops[:5], count)
	spec.SourcePort, spec.PcapOut = firstPort, true
	sender := runTrace(t, spec)
	far := <-farDone
	if far.Status != v1alpha1.StatusPass || len(far.Trace.PcapNG) == 0 || far.Trace.StoppedOnRequest {
		t.Fatalf("far half: %s %s %s (stopped on request: %t, want its window)", far.Status, far.Summary, far.Error, far.Trace.StoppedOnRequest)
	}
	// Alone, the sender's half sees its SYNs leave nodeA and the SYN-ACKs arrive.
	if p := sender.Trace.Probes[0]; p.LastHop != hopUnderlayA || p.Reply == nil || p.Reply.FirstHop != hopUnderlayA {
		t.Fatalf("sender half: last hop %s reply %+v", p.LastHop, p.Reply)
	}

	merged, err := Merge(sender.Trace, far.Trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range merged.Probes {
		if !slices.Equal(seen(p, v1alpha1.TraceDirRequest), allHops) || p.Reply == nil || p.Reply.FirstHop != hopPodB || p.Reply.Kind != "syn-ack" {
			t.Errorf("%s: seen %v reply %+v", p.Tag, seen(p, v1alpha1.TraceDirRequest), p.Reply)
		}
	}
	if len(merged.Hops) != 10 || len(merged.PcapNG) == 0 {
		t.Errorf("merged %d hops, %d pcapng bytes", len(merged.Hops), len(merged.PcapNG))
	}
}

// The ICMP trace across nodes as the plugin runs it: both halves share the
// planned echo id. Another run's ICMP trace to the same pod, at the same time
// with its own id, stays out of this run's far capture and its correlation.
func TestTraceMergesTwoICMPProbes(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	hops := twoNodeHops(t, topo)
	const id, otherID, count = 0x5a01, 0x5a02, 2
	icmpSpec := func(id int, hops []v1alpha1.TraceHop) v1alpha1.TraceSpec {
		return v1alpha1.TraceSpec{Source: topo.A.PodNetns(), Destination: topo.B.PodIP.String(), Proto: v1alpha1.TraceICMP,
			Hops: hops, Count: count, ProbeTimeoutMillis: 800, ICMPID: id, PcapOut: true}
	}

	farDone := startFarHalf(context.Background(), v1alpha1.TraceSpec{Destination: topo.B.PodIP.String(), Proto: v1alpha1.TraceICMP, Hops: hops[5:],
		Count: count, ICMPID: id, CaptureOnlyMillis: 3000})
	other := runTrace(t, icmpSpec(otherID, hops[:1])) // another run's echoes, same source and destination
	sender := runTrace(t, icmpSpec(id, hops[:5]))
	far := <-farDone
	if far.Status != v1alpha1.StatusPass || len(far.Trace.PcapNG) == 0 {
		t.Fatalf("far half: %s %s %s", far.Status, far.Summary, far.Error)
	}
	if other.Status != v1alpha1.StatusPass {
		t.Fatalf("the other run's trace: %s %s", other.Status, other.Summary)
	}
	// Only this trace's echoes and replies reached the far capture.
	for _, h := range far.Trace.Hops {
		if h.Packets != 2*count {
			t.Errorf("far hop %s kept %d packets, want %d (this trace's echoes and replies only)", h.Label, h.Packets, 2*count)
		}
	}
	if p := sender.Trace.Probes[0]; p.LastHop != hopUnderlayA || p.ICMPID != id {
		t.Fatalf("sender half: last hop %s id %#x", p.LastHop, p.ICMPID)
	}

	merged, err := Merge(sender.Trace, far.Trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range merged.Probes {
		if !slices.Equal(seen(p, v1alpha1.TraceDirRequest), allHops) || p.Reply == nil || p.Reply.FirstHop != hopPodB || p.Reply.Kind != "echo-reply" {
			t.Errorf("%s: seen %v reply %+v", p.Tag, seen(p, v1alpha1.TraceDirRequest), p.Reply)
		}
	}
	if status, summary := Summarize(merged); status != v1alpha1.StatusPass || summary != "2/2 answered" {
		t.Errorf("merged: %s %q", status, summary)
	}
}

// startFarHalf runs a capture-only trace half as a node agent would, returns
// once it captures (its first progress line), and delivers its result on the
// channel when its window ends (or ctx's stop signal ends it early).
func startFarHalf(ctx context.Context, far v1alpha1.TraceSpec) <-chan v1alpha1.CheckResult {
	capturing := make(chan struct{})
	done := make(chan v1alpha1.CheckResult, 1)
	go func() {
		var once sync.Once
		done <- (&Check{}).Run(ctx, v1alpha1.CheckSpec{ID: "far", Check: v1alpha1.CheckTrace, Trace: &far},
			func(string) { once.Do(func() { close(capturing) }) })
	}()
	<-capturing
	return done
}
