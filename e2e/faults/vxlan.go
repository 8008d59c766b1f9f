package faults

import (
	"net"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// VXLANSource makes node's VXLAN device dev (flannel.1) encapsulate from
// wrong, a secondary /32 it adds to node's underlay interface, instead of
// the address flannel configured, and restores all of it at cleanup. The
// peer node gets a host route to wrong over the node-to-node link, so
// whatever it sends back to that source (ICMP errors) stays in the lab
// instead of following the host's default route out.
//
// The kernel's vxlan changelink accepts a new local address of the same
// family on a running device, so flannel.1 keeps its VNI, port, MAC, MTU,
// routes, neighbours and FDB entries: only the outer source changes.
func VXLANSource(t testing.TB, node lab.Node, dev, wrong string) {
	t.Helper()
	ip := net.ParseIP(wrong).To4()
	if ip == nil {
		t.Fatalf("faults: VXLAN source %q is not an IPv4 address", wrong)
	}
	path := node.NetnsPath()
	h := netlinkAt(t, path)
	t.Cleanup(h.Close) // registered first: runs after the restores below
	vx, ok := linkIn(t, h, dev, path).(*netlink.Vxlan)
	if !ok {
		t.Fatalf("faults: %s in %s is not a VXLAN device", dev, path)
	}
	old := vx.SrcAddr
	if old == nil {
		t.Fatalf("faults: %s in %s has no local address to replace", dev, path)
	}

	underlay := linkIn(t, h, node.FlannelIface, path)
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)}}
	if err := h.AddrAdd(underlay, addr); err != nil {
		t.Fatalf("faults: add %s to %s in %s: %v", wrong, node.FlannelIface, path, err)
	}
	t.Cleanup(func() {
		if err := h.AddrDel(underlay, addr); err != nil {
			t.Errorf("faults: remove %s from %s in %s: %v", wrong, node.FlannelIface, path, err)
		}
	})

	backRoute(t, node, ip)

	if err := setVXLANLocal(path, vx.Index, ip); err != nil {
		t.Fatalf("faults: set %s local %s in %s: %v", dev, wrong, path, err)
	}
	t.Logf("faults: %s local %s -> %s in %s (%s on %s)", dev, old, wrong, path, wrong, node.FlannelIface)
	t.Cleanup(func() {
		if err := setVXLANLocal(path, vx.Index, old); err != nil {
			t.Errorf("faults: restore %s local %s in %s: %v", dev, old, path, err)
		}
	})
}

// backRoute routes ip, now an address of node, from every other lab node
// over the node-to-node link, and removes the route at cleanup.
func backRoute(t testing.TB, node lab.Node, ip net.IP) {
	t.Helper()
	for _, peer := range lab.Nodes {
		if peer.Name == node.Name {
			continue
		}
		h := netlinkAt(t, peer.NetnsPath())
		t.Cleanup(h.Close)
		link := linkIn(t, h, peer.FlannelIface, peer.NetnsPath())
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)},
			Scope: netlink.SCOPE_LINK}
		if err := h.RouteAdd(route); err != nil {
			t.Fatalf("faults: route %s via %s in %s: %v", ip, peer.FlannelIface, peer.NetnsPath(), err)
		}
		t.Cleanup(func() {
			if err := h.RouteDel(route); err != nil {
				t.Errorf("faults: remove route %s in %s: %v", ip, peer.NetnsPath(), err)
			}
		})
	}
}

// setVXLANLocal changes only IFLA_VXLAN_LOCAL of the VXLAN device at index.
// netlink.LinkModify cannot: it resends every attribute, and the kernel
// refuses changelink requests that carry the port or the UDP checksum flag.
func setVXLANLocal(netnsPath string, index int, ip net.IP) error {
	return inNetns(netnsPath, func() error {
		req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
		msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
		msg.Index = int32(index)
		req.AddData(msg)
		info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
		info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("vxlan"))
		data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL, []byte(ip.To4()))
		req.AddData(info)
		_, err := req.Execute(unix.NETLINK_ROUTE, 0)
		return err
	})
}
