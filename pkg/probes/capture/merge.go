package capture

import (
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
)

// ReadPcapNG reads back a capture WritePcapNG wrote (or any pcapng with
// Ethernet or raw-IP interfaces): one interface per hop, named by its label.
// With Merge it lets captures taken by different probes (one per node) be
// correlated together.
func ReadPcapNG(r io.Reader) (*Result, error) {
	// Hops of one trace mix Ethernet and raw-IP links.
	ng, err := pcapgo.NewNgReader(r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, fmt.Errorf("pcapng: %w", err)
	}
	res := &Result{}
	for {
		data, ci, err := ng.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("pcapng: packet %d: %w", len(res.Packets), err)
		}
		res.Packets = append(res.Packets, Packet{Iface: ci.InterfaceIndex, Info: ci, Data: data})
	}
	// Interfaces are known once the packets were read: the reader meets their
	// blocks along the way.
	for i := range ng.NInterfaces() {
		ifc, err := ng.Interface(i)
		if err != nil {
			return nil, fmt.Errorf("pcapng: interface %d: %w", i, err)
		}
		ir := InterfaceResult{Interface: Interface{Label: ifc.Name}}
		switch ifc.LinkType {
		case layers.LinkTypeEthernet:
			ir.Link = bpf.LinkEthernet
		case layers.LinkTypeRaw, layers.LinkTypeIPv4:
			ir.Link = bpf.LinkIP
		default:
			return nil, fmt.Errorf("pcapng: interface %s has link type %v; only Ethernet and raw IP are read", ifc.Name, ifc.LinkType)
		}
		res.Interfaces = append(res.Interfaces, ir)
	}
	for i, p := range res.Packets {
		if p.Iface < 0 || p.Iface >= len(res.Interfaces) {
			return nil, fmt.Errorf("pcapng: packet %d on undeclared interface %d", i, p.Iface)
		}
		res.Interfaces[p.Iface].Packets++
	}
	return res, nil
}

// Merge joins captures into one: interfaces in the order given (so pass them in
// request order), packets re-indexed and ordered by time.
func Merge(results ...*Result) *Result {
	out := &Result{}
	for _, r := range results {
		base := len(out.Interfaces)
		out.Interfaces = append(out.Interfaces, r.Interfaces...)
		for _, p := range r.Packets {
			p.Iface += base
			out.Packets = append(out.Packets, p)
		}
	}
	sortByTime(out.Packets)
	return out
}
