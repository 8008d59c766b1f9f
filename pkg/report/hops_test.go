package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// crossNodeTrace is a trace from node1's client to web-2 on node2: two probes
// answered, one died on node2 after flannel.1.
func crossNodeTrace() *v1alpha1.Report {
	hop := func(node, name, ifname string, mtu int, addrs ...string) v1alpha1.TraceHopInfo {
		return v1alpha1.TraceHopInfo{TraceHop: v1alpha1.TraceHop{Node: node, Name: name, Ifname: ifname},
			Label: node + "/" + name, MTU: mtu, Addrs: addrs, LinkType: "ethernet"}
	}
	hops := []v1alpha1.TraceHopInfo{
		hop("node1", "pod client", "eth0", 1450, "10.244.1.4/24"),
		hop("node1", "vethc", "vethc", 1450),
		hop("node1", "cni0", "cni0", 1450, "10.244.1.1/24"),
		hop("node1", "flannel.1", "flannel.1", 1450, "10.244.1.0/32"),
		hop("node1", "nc-node2", "nc-node2", 1500, "10.201.0.1/30"),
		hop("node2", "eth0", "eth0", 1500, "10.201.0.2/30"),
		hop("node2", "flannel.1", "flannel.1", 1450, "10.244.0.0/32"),
		hop("node2", "cni0", "cni0", 1450, "10.244.0.1/24"),
		hop("node2", "vethw", "vethw", 1450),
		hop("node2", "pod web-2", "eth0", 1450, "10.244.0.3/24"),
	}
	hops[3].VXLAN = &v1alpha1.TraceVXLAN{VNI: 1, Local: "10.201.0.1", DstPort: 8472, RemoteVTEP: "10.201.0.2"}
	hops[8].LinkType, hops[8].Error = "", "no such device"
	seen := func(upTo int, reply bool) []v1alpha1.TraceSighting {
		var out []v1alpha1.TraceSighting
		for i := 0; i <= upTo; i++ {
			out = append(out, v1alpha1.TraceSighting{Hop: hops[i].Label, HopIndex: i, Dir: v1alpha1.TraceDirRequest, What: "SYN"})
		}
		if reply {
			for i := upTo; i >= 0; i-- {
				out = append(out, v1alpha1.TraceSighting{Hop: hops[i].Label, HopIndex: i, Dir: v1alpha1.TraceDirReply, What: "SYN-ACK"})
			}
		}
		return out
	}
	synack := &v1alpha1.TraceReply{Kind: "syn-ack", What: "SYN-ACK", Src: "10.244.0.3:8080", FirstHop: "node2/pod web-2"}
	tr := &v1alpha1.TraceResult{Source: "10.244.1.4", Destination: "10.244.0.3", Port: 8080, Proto: "tcp", Hops: hops,
		Probes: []v1alpha1.TraceProbe{
			{Tag: "tcp sport 61000", SrcPort: 61000, Outcome: "ok", Seen: seen(9, true), LastHop: "node2/pod web-2", Reply: synack},
			{Tag: "tcp sport 61001", SrcPort: 61001, Outcome: "timeout", Seen: seen(6, false), LastHop: "node2/flannel.1"},
			{Tag: "tcp sport 61002", SrcPort: 61002, Outcome: "ok", Seen: seen(9, true), LastHop: "node2/pod web-2", Reply: synack},
		}}
	return &v1alpha1.Report{
		Source: v1alpha1.Source{Namespace: "shop", Pod: "client", Node: "node1", PodIPs: []string{"10.244.1.4"}}, Mode: "node",
		Results: []v1alpha1.CheckResult{{ID: "trace:10.244.0.3:8080", Check: "trace", Target: "pod/web-2", Vantage: "node node1",
			Status: v1alpha1.StatusFail, Summary: "2/3 answered; request last seen at node2/flannel.1, nothing came back", Trace: tr}},
		Verdict: v1alpha1.Verdict{Status: v1alpha1.VerdictInconclusive, ExitCode: 2, Summary: "x"},
	}
}

func TestTraceDiagram(t *testing.T) {
	var out bytes.Buffer
	if err := Print(&out, "table", crossNodeTrace()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"TRACES\ntrace:10.244.0.3:8080 pod/web-2 from node node1: FAIL 2/3 answered",
		"  path   node1: pod client -> vethc -> cni0 -> flannel.1 -> nc-node2\n",
		"         => node2: eth0 -> flannel.1 -> cni0 -> vethw -> pod web-2\n",
		"    node1/pod client (eth0)  1450  3/3",
		"10.244.1.0/32 vni 1 10.201.0.1->10.201.0.2",
		"    node2/vethw              1450  not captured  -",
		"(no such device)",
		"  probes 2 probes (sport 61000, 61002): SYN-ACK from 10.244.0.3:8080, first seen at node2/pod web-2; request last seen\n",
		"         sport 61001: no answer; request last seen at node2/flannel.1, never at node2/cni0 [sender: timeout]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagram lacks %q\n%s", want, got)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		// node2's flannel.1 saw all three requests but only two answers; cni0 two of each.
		if f := strings.Fields(l); len(f) > 3 && f[0] == "node2/flannel.1" && (f[2] != "3/3" || f[3] != "2") ||
			len(f) > 3 && f[0] == "node2/cni0" && (f[2] != "2/3" || f[3] != "2") {
			t.Errorf("row %q: wrong probe/answer counts", l)
		}
		if n := utf8.RuneCountInString(l); n > lineWidth {
			t.Errorf("line of %d runes: %q", n, l)
		}
	}
}

// icmpTrace is crossNodeTrace as echoes: the same path and fates.
func icmpTrace() *v1alpha1.Report {
	r := crossNodeTrace()
	res := &r.Results[0]
	res.ID, res.Target = "trace:icmp:10.244.0.3", "pod/web-2 10.244.0.3"
	tr := res.Trace
	tr.Port, tr.Proto = 0, v1alpha1.TraceICMP
	for i := range tr.Probes {
		p := &tr.Probes[i]
		p.Tag, p.SrcPort, p.ICMPID, p.ICMPSeq = fmt.Sprintf("icmp id 0x5a01 seq %d", i+1), 0, 0x5a01, i+1
		p.Outcome = map[bool]string{true: "reply", false: "timeout"}[p.Reply != nil]
		for j := range p.Seen {
			p.Seen[j].What = map[string]string{v1alpha1.TraceDirRequest: "echo-request", v1alpha1.TraceDirReply: "echo-reply"}[p.Seen[j].Dir]
		}
		if p.Reply != nil {
			p.Reply = &v1alpha1.TraceReply{Kind: "echo-reply", What: "echo-reply", Src: "10.244.0.3", FirstHop: "node2/pod web-2"}
		}
	}
	return r
}

func TestICMPTraceDiagram(t *testing.T) {
	var out bytes.Buffer
	if err := Print(&out, "table", icmpTrace()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"TRACES\ntrace:icmp:10.244.0.3 pod/web-2 10.244.0.3 from node node1: FAIL 2/3 answered",
		"  path   node1: pod client -> vethc -> cni0 -> flannel.1 -> nc-node2\n",
		"    node1/pod client (eth0)  1450  3/3",
		"  probes 2 probes (echo id 0x5a01 seq 1, 3): echo-reply from 10.244.0.3, first seen at node2/pod web-2; request last\n",
		"         echo id 0x5a01 seq 2: no answer; request last seen at node2/flannel.1, never at node2/cni0 [sender: timeout]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagram lacks %q\n%s", want, got)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if n := utf8.RuneCountInString(l); n > lineWidth {
			t.Errorf("line of %d runes: %q", n, l)
		}
	}
}
