package capture

import (
	"github.com/gopacket/gopacket"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// The types of a finished capture build on every platform, so the plugin can
// read pcapng files back, merge them and correlate; only capturing is Linux-only.

// Interface is one hop to capture on.
type Interface struct {
	// Label names the hop in results and in the pcapng file ("node/hop").
	Label string
	// Netns is the namespace path ("" = the caller's).
	Netns  string
	Ifname string
}

// Packet is one captured packet. Data is owned by the capture (never reused).
type Packet struct {
	// Iface indexes the Interface list given to Start.
	Iface int
	Info  gopacket.CaptureInfo
	Data  []byte
}

// InterfaceResult is what happened on one interface.
type InterfaceResult struct {
	Interface
	// Link is how packets were read: with their Ethernet header or from the IP header.
	Link    bpf.Link
	Ifindex int
	Packets int
	// Dropped is what the kernel could not queue (ring full); Overflow what
	// arrived after MaxPackets.
	Dropped  int
	Overflow int
	// Err is why the interface could not be captured; the others still were.
	Err error
}

// Result is a finished capture.
type Result struct {
	Interfaces []InterfaceResult
	// Packets of all interfaces, ordered by time.
	Packets []Packet
}
