package capture

import (
	"fmt"
	"io"
	"runtime"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// WritePcapNG writes the capture as pcapng: one interface block per hop, named
// by its label ("node/hop") with its real link type, and every packet in time
// order on its hop's interface.
func (r *Result) WritePcapNG(w io.Writer, snapLen uint32) error {
	if len(r.Interfaces) == 0 {
		return fmt.Errorf("pcapng: capture has no interfaces")
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "kubectl-netcheck trace"}}
	ng, err := pcapgo.NewNgWriterInterface(w, ngInterface(r.Interfaces[0], snapLen), opts)
	if err != nil {
		return fmt.Errorf("pcapng: write section: %w", err)
	}
	for _, ifc := range r.Interfaces[1:] {
		if _, err := ng.AddInterface(ngInterface(ifc, snapLen)); err != nil {
			return fmt.Errorf("pcapng: interface %s: %w", ifc.Label, err)
		}
	}
	for _, p := range r.Packets {
		ci := p.Info
		ci.InterfaceIndex = p.Iface // pcapng interface id, not the kernel ifindex
		ci.CaptureLength = len(p.Data)
		ci.Length = max(ci.Length, ci.CaptureLength)
		if err := ng.WritePacket(ci, p.Data); err != nil {
			return fmt.Errorf("pcapng: packet on %s: %w", r.Interfaces[p.Iface].Label, err)
		}
	}
	if err := ng.Flush(); err != nil {
		return fmt.Errorf("pcapng: flush: %w", err)
	}
	return nil
}

func ngInterface(ifc InterfaceResult, snapLen uint32) pcapgo.NgInterface {
	lt := layers.LinkTypeEthernet
	if ifc.Link == bpf.LinkIP {
		lt = layers.LinkTypeRaw
	}
	desc := ifc.Ifname
	if ifc.Netns != "" {
		desc += " in " + ifc.Netns
	}
	if ifc.Err != nil {
		desc += " (not captured: " + ifc.Err.Error() + ")"
	}
	return pcapgo.NgInterface{Name: ifc.Label, Description: desc, OS: runtime.GOOS, LinkType: lt,
		SnapLength: snapLen, TimestampResolution: 9}
}
