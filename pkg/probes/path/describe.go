//go:build linux

package path

import (
	"fmt"
)

// Describe reads one interface of a namespace (for hops given by name rather than
// discovered): kind, MTU, MAC, addresses and, for a VXLAN device, its VNI, local
// IP, port and underlay.
func Describe(netnsPath, ifname string) (Hop, error) {
	ns, err := openNetns(netnsPath)
	if err != nil {
		return Hop{}, fmt.Errorf("path: %w", err)
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		return Hop{}, fmt.Errorf("path: %w", err)
	}
	defer h.Close()
	link, err := h.LinkByName(ifname)
	if err != nil {
		return Hop{}, fmt.Errorf("path: interface %s in netns %q: %w", ifname, netnsPath, err)
	}
	hop := describe(h, link)
	hop.Netns = netnsPath
	return hop, nil
}
