//go:build linux

package path

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// beyondNode follows the node's route to the destination from the bridge: an
// overlay device (and its underlay), or the NIC directly (host-gw routing).
func (w *walker) beyondNode(bridge netlink.Link, podSrc netip.Addr) error {
	route, err := w.nodeRoute(bridge, podSrc)
	if err != nil {
		return err
	}
	out, err := w.node.LinkByIndex(route.LinkIndex)
	if err != nil {
		return fmt.Errorf("path: node egress ifindex %d: %w", route.LinkIndex, err)
	}
	if bridge != nil && out.Attrs().Index == bridge.Attrs().Index {
		w.path.Local = true // same bridge: the destination pod is on this node
		return nil
	}
	gw, _ := netip.AddrFromSlice(route.Gw)
	gw = gw.Unmap()
	switch out.Type() {
	case "vxlan":
		hop := w.add(RoleOverlay, w.req.NodeNetns, w.node, out)
		return w.vxlanUnderlay(hop, gw)
	case "ipip":
		w.add(RoleOverlay, w.req.NodeNetns, w.node, out)
		// Calico-style IPIP: the gateway is the remote node, reached via the NIC.
		if !gw.IsValid() {
			return nil
		}
		return w.underlayTowards(gw)
	default:
		w.add(RoleUnderlay, w.req.NodeNetns, w.node, out)
		return nil
	}
}

// nodeRoute asks for the route a forwarded packet from the pod takes (input
// interface = bridge, source = pod), falling back to a plain lookup when the
// kernel refuses the forwarding lookup (e.g. rp_filter).
func (w *walker) nodeRoute(bridge netlink.Link, podSrc netip.Addr) (netlink.Route, error) {
	dst := w.req.Destination.AsSlice()
	if bridge != nil && podSrc.IsValid() {
		opts := &netlink.RouteGetOptions{Iif: bridge.Attrs().Name, SrcAddr: podSrc.AsSlice()}
		if routes, err := w.node.RouteGetWithOptions(dst, opts); err == nil && len(routes) > 0 {
			return routes[0], nil
		}
	}
	routes, err := w.node.RouteGet(dst)
	if err != nil || len(routes) == 0 {
		return netlink.Route{}, fmt.Errorf("path: no route to %s in the node netns: %w", w.req.Destination, orNoRoute(err))
	}
	return routes[0], nil
}

// vxlanUnderlay resolves the peer VTEP the way the kernel does (route gateway ->
// neighbour MAC -> FDB destination) and adds the underlay device.
func (w *walker) vxlanUnderlay(hop *Hop, gw netip.Addr) error {
	vx := hop.VXLAN
	if gw.IsValid() {
		vx.Gateway = gw
		vx.RemoteMAC = w.neighbourMAC(hop.Index, gw)
		vx.RemoteVTEP = w.fdbDestination(hop.Index, vx.RemoteMAC)
	}
	if vx.Underlay != "" {
		// The device names its underlying link: that is where packets leave.
		link, err := w.node.LinkByName(vx.Underlay)
		if err != nil {
			return fmt.Errorf("path: vxlan %s underlay %s: %w", hop.Name, vx.Underlay, err)
		}
		w.add(RoleUnderlay, w.req.NodeNetns, w.node, link)
		return nil
	}
	switch {
	case vx.RemoteVTEP.IsValid():
		return w.underlayTowards(vx.RemoteVTEP)
	case vx.Local.IsValid():
		return w.underlayOwning(vx.Local)
	}
	return nil
}

// underlayTowards adds the device the node routes addr through, and records it as
// the VXLAN hop's underlay when there is one.
func (w *walker) underlayTowards(addr netip.Addr) error {
	routes, err := w.node.RouteGet(addr.AsSlice())
	if err != nil || len(routes) == 0 {
		return fmt.Errorf("path: no route to the remote endpoint %s: %w", addr, orNoRoute(err))
	}
	link, err := w.node.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return fmt.Errorf("path: underlay ifindex %d: %w", routes[0].LinkIndex, err)
	}
	w.setOverlayUnderlay(link.Attrs().Name)
	w.add(RoleUnderlay, w.req.NodeNetns, w.node, link)
	return nil
}

// underlayOwning adds the device that holds addr (the VTEP's local address).
func (w *walker) underlayOwning(addr netip.Addr) error {
	addrs, err := w.node.AddrList(nil, unix.AF_INET)
	if err != nil {
		return fmt.Errorf("path: list node addresses: %w", err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			link, err := w.node.LinkByIndex(a.LinkIndex)
			if err != nil {
				return fmt.Errorf("path: link of %s: %w", addr, err)
			}
			w.setOverlayUnderlay(link.Attrs().Name)
			w.add(RoleUnderlay, w.req.NodeNetns, w.node, link)
			return nil
		}
	}
	return fmt.Errorf("path: no node interface holds the VTEP address %s (wrong VXLAN local IP?)", addr)
}

func (w *walker) setOverlayUnderlay(name string) {
	for i := range w.path.Hops {
		if h := &w.path.Hops[i]; h.VXLAN != nil && h.VXLAN.Underlay == "" {
			h.VXLAN.Underlay = name
		}
	}
}

// neighbourMAC is the link-layer address the VXLAN device's neighbour table
// holds for ip (flannel writes a permanent entry per remote node).
func (w *walker) neighbourMAC(ifindex int, ip netip.Addr) string {
	neighs, err := w.node.NeighList(ifindex, unix.AF_INET)
	if err != nil {
		return ""
	}
	for _, n := range neighs {
		if a, ok := netip.AddrFromSlice(n.IP); ok && a.Unmap() == ip && len(n.HardwareAddr) > 0 {
			return n.HardwareAddr.String()
		}
	}
	return ""
}

// fdbDestination is the remote VTEP the VXLAN FDB sends frames for mac to.
func (w *walker) fdbDestination(ifindex int, mac string) netip.Addr {
	if mac == "" {
		return netip.Addr{}
	}
	fdb, err := w.node.NeighList(ifindex, unix.AF_BRIDGE)
	if err != nil {
		return netip.Addr{}
	}
	for _, n := range fdb {
		if n.HardwareAddr.String() != mac || n.IP == nil {
			continue
		}
		if a, ok := netip.AddrFromSlice(n.IP); ok {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// describe turns a netlink link into a hop (without role and namespace).
func describe(h *netlink.Handle, link netlink.Link) Hop {
	a := link.Attrs()
	hop := Hop{Name: a.Name, Index: a.Index, Kind: link.Type(), MTU: a.MTU, MAC: macString(a.HardwareAddr)}
	if link.Type() == "veth" {
		hop.PeerIndex = a.ParentIndex
	}
	if a.MasterIndex != 0 {
		if m, err := h.LinkByIndex(a.MasterIndex); err == nil {
			hop.Master = m.Attrs().Name
		}
	}
	if addrs, err := h.AddrList(link, unix.AF_INET); err == nil {
		for _, ad := range addrs {
			if ip, ok := netip.AddrFromSlice(ad.IP); ok && ad.IPNet != nil {
				ones, _ := ad.Mask.Size()
				hop.Addrs = append(hop.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
			}
		}
	}
	if vx, ok := link.(*netlink.Vxlan); ok {
		local, _ := netip.AddrFromSlice(vx.SrcAddr)
		hop.VXLAN = &VXLAN{VNI: vx.VxlanId, Local: local.Unmap(), DstPort: vx.Port}
		if vx.VtepDevIndex != 0 {
			if u, err := h.LinkByIndex(vx.VtepDevIndex); err == nil {
				hop.VXLAN.Underlay = u.Attrs().Name
			}
		}
	}
	return hop
}

func macString(hw net.HardwareAddr) string {
	if len(hw) != 6 {
		return ""
	}
	return hw.String()
}
