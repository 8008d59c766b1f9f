package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
)

// pcapng is a capture with one packet per label, at the given times.
func pcapng(t *testing.T, labels []string, at ...time.Time) []byte {
	t.Helper()
	c := &capture.Result{}
	for i, l := range labels {
		c.Interfaces = append(c.Interfaces, capture.InterfaceResult{Interface: capture.Interface{Label: l}, Link: bpf.LinkIP, Packets: 1})
		data := make([]byte, 20)
		data[0] = 0x45
		c.Packets = append(c.Packets, capture.Packet{Iface: i, Data: data,
			Info: gopacket.CaptureInfo{Timestamp: at[i], CaptureLength: 20, Length: 20}})
	}
	var buf bytes.Buffer
	if err := c.WritePcapNG(&buf, bpf.DefaultSnapLen); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Two traces crossed cni0 of one node: the node's file has one cni0.
func TestMergeCapturesOneInterfacePerHop(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	a := pcapng(t, []string{"node1/pod client", "node1/cni0"}, t0.Add(3*time.Millisecond), t0.Add(4*time.Millisecond))
	b := pcapng(t, []string{"node1/pod client", "node1/cni0", "node1/flannel.1"}, t0, t0.Add(time.Millisecond), t0.Add(2*time.Millisecond))
	got, err := MergeCaptures([][]byte{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, ifc := range got.Interfaces {
		labels = append(labels, ifc.Label)
	}
	if len(labels) != 3 || labels[0] != "node1/pod client" || labels[1] != "node1/cni0" || labels[2] != "node1/flannel.1" {
		t.Fatalf("interfaces %q, want one per hop label", labels)
	}
	if got.Interfaces[1].Packets != 2 || len(got.Packets) != 5 {
		t.Errorf("cni0 has %d packets, %d in all; want 2 and 5", got.Interfaces[1].Packets, len(got.Packets))
	}
	for i := 1; i < len(got.Packets); i++ {
		if got.Packets[i].Info.Timestamp.Before(got.Packets[i-1].Info.Timestamp) {
			t.Errorf("packets out of time order at %d", i)
		}
	}
	// Packets keep their hop: the latest is a's, on cni0.
	if last := got.Packets[4]; got.Interfaces[last.Iface].Label != "node1/cni0" {
		t.Errorf("the last packet is on %s, want node1/cni0", got.Interfaces[last.Iface].Label)
	}
	if CaptureFileName("ip-10-0-0-1.eu-west-1/x") != "ip-10-0-0-1.eu-west-1_x.pcapng" {
		t.Errorf("file name %q", CaptureFileName("ip-10-0-0-1.eu-west-1/x"))
	}
}
