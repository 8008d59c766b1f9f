package capture

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	bt "github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf/bpftest"
)

func packetAt(iface int, ms int, data []byte) Packet {
	return Packet{Iface: iface, Data: data, Info: gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(ms)*int64(time.Millisecond)),
		CaptureLength: len(data), Length: len(data)}}
}

// A pcapng written by one probe reads back into the same hops and packets, with
// Ethernet and raw-IP hops mixed; Merge joins two probes' captures in hop order.
func TestPcapNGRoundTripAndMerge(t *testing.T) {
	syn := bt.TCP(t, "10.0.1.5", "10.0.2.7", 61000, 8080)
	nodeA := &Result{
		Interfaces: []InterfaceResult{
			{Interface: Interface{Label: "a/pod eth0"}, Link: bpf.LinkEthernet},
			{Interface: Interface{Label: "a/tunl0"}, Link: bpf.LinkIP},
		},
		Packets: []Packet{packetAt(0, 1, syn), packetAt(1, 2, bt.StripL2(syn))},
	}
	var buf bytes.Buffer
	if err := nodeA.WritePcapNG(&buf, 512); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPcapNG(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Interfaces) != 2 || back.Interfaces[0].Label != "a/pod eth0" || back.Interfaces[1].Link != bpf.LinkIP ||
		back.Interfaces[0].Packets != 1 || len(back.Packets) != 2 || !bytes.Equal(back.Packets[1].Data, bt.StripL2(syn)) {
		t.Fatalf("read back %+v", back)
	}
	if f := back.Frames(0); len(f) != 2 || f[1].Iface != 1 || f[1].SrcPort != 61000 {
		t.Fatalf("frames %+v", f)
	}

	nodeB := &Result{
		Interfaces: []InterfaceResult{{Interface: Interface{Label: "b/pod eth0"}, Link: bpf.LinkEthernet}},
		Packets:    []Packet{packetAt(0, 0, syn)}, // its clock runs behind: time order is not hop order
	}
	m := Merge(back, nodeB)
	if len(m.Interfaces) != 3 || m.Interfaces[2].Label != "b/pod eth0" {
		t.Fatalf("merged interfaces %+v", m.Interfaces)
	}
	if m.Packets[0].Iface != 2 || m.Packets[1].Iface != 0 || m.Packets[2].Iface != 1 {
		t.Fatalf("merged packets on %d,%d,%d, want 2,0,1 (by time)", m.Packets[0].Iface, m.Packets[1].Iface, m.Packets[2].Iface)
	}
	got := Correlate(m.Frames(0), []HopRef{{"a/pod eth0", "a"}, {"a/tunl0", "a"}, {"b/pod eth0", "b"}},
		[]Probe{{Proto: bpf.ProtoTCP, Src: podA, SrcPort: 61000}})[0]
	if got.LastHop != "b/pod eth0" || len(got.Seen) != 3 {
		t.Fatalf("correlated over the merge: %+v", got)
	}
}
