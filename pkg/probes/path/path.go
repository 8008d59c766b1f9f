//go:build linux

// Package path discovers the interfaces a pod's traffic crosses on its node, the
// hops a trace captures on: the pod's eth0, the host end of its veth (found by the
// peer ifindex and link-netnsid netlink reports), the bridge that veth is enslaved
// to (cni0, docker0), the overlay device the route to the destination picks
// (flannel.1 or any VXLAN, tunl0) and the node NIC the encapsulated packets leave
// by. Everything is read with netlink; nothing is changed.
package path

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// Hop roles, in the order a request crosses them.
const (
	RolePod      = "pod"
	RoleHostVeth = "host-veth"
	RoleBridge   = "bridge"
	RoleOverlay  = "overlay"
	RoleUnderlay = "underlay"
)

// Hop is one interface on the path.
type Hop struct {
	Role string
	// Netns is the namespace path the interface lives in ("" = the caller's).
	Netns string
	Name  string
	Index int
	// Kind is the netlink link kind: "veth", "bridge", "vxlan", "ipip", "device", ...
	Kind  string
	MTU   int
	MAC   string
	Addrs []netip.Prefix
	// PeerIndex is a veth's peer ifindex (in the other namespace).
	PeerIndex int
	// Master is the bridge the interface is enslaved to.
	Master string
	// VXLAN is set for VXLAN devices.
	VXLAN *VXLAN
}

// VXLAN is a VXLAN device's configuration and the peer the route uses.
type VXLAN struct {
	VNI int
	// Local is the source IP of encapsulated packets (flannel sets the node IP).
	Local   netip.Addr
	DstPort int
	// Underlay is the device encapsulated packets leave by: the configured
	// underlying link, or the route to RemoteVTEP.
	Underlay string
	// Gateway is the route's next hop on the VXLAN device (flannel: the remote
	// node's flannel.1 address); RemoteMAC its neighbour entry; RemoteVTEP the FDB
	// entry for that MAC: where the frames are sent.
	Gateway    netip.Addr
	RemoteMAC  string
	RemoteVTEP netip.Addr
}

// Request says whose path to discover.
type Request struct {
	// PodNetns is the pod's network namespace path (/proc/PID/ns/net, /run/netns/x).
	PodNetns string
	// NodeNetns is the node's namespace path; "" is the caller's own (a
	// hostNetwork probe).
	NodeNetns   string
	Destination netip.Addr
}

// Path is the discovered path, hops in request order.
type Path struct {
	Destination netip.Addr
	// Source is the address the pod sends from (the route's preferred source).
	Source netip.Addr
	Hops   []Hop
	// Local is true when the destination is behind the same bridge: the path ends
	// at the bridge.
	Local bool
}

// Discover walks the path from the pod towards Destination as far as the node NIC.
// When the walk fails past the bridge, the hops found so far come with the error.
func Discover(req Request) (Path, error) {
	if !req.Destination.Is4() {
		return Path{}, fmt.Errorf("path: destination %s is not IPv4", req.Destination)
	}
	podNs, err := openNetns(req.PodNetns)
	if err != nil {
		return Path{}, fmt.Errorf("path: pod: %w", err)
	}
	defer podNs.Close()
	nodeNs, err := openNetns(req.NodeNetns)
	if err != nil {
		return Path{}, fmt.Errorf("path: node: %w", err)
	}
	defer nodeNs.Close()
	pod, err := podNs.NetlinkHandle()
	if err != nil {
		return Path{}, fmt.Errorf("path: pod: %w", err)
	}
	defer pod.Close()
	node, err := nodeNs.NetlinkHandle()
	if err != nil {
		return Path{}, fmt.Errorf("path: node: %w", err)
	}
	defer node.Close()

	w := walker{req: req, pod: pod, node: node, podNs: podNs, nodeNs: nodeNs}
	return w.walk()
}

// walker carries the handles through the steps of Discover.
type walker struct {
	req           Request
	pod, node     *netlink.Handle
	podNs, nodeNs *netns.NetNS
	path          Path
}

func (w *walker) walk() (Path, error) {
	w.path.Destination = w.req.Destination
	podLink, src, err := w.podEgress()
	if err != nil {
		return Path{}, err
	}
	w.path.Source = src
	w.add(RolePod, w.req.PodNetns, w.pod, podLink)

	hostVeth, err := w.hostVeth(podLink)
	if err != nil {
		return Path{}, err
	}
	w.add(RoleHostVeth, w.req.NodeNetns, w.node, hostVeth)
	var bridge netlink.Link
	if m := hostVeth.Attrs().MasterIndex; m != 0 {
		if bridge, err = w.node.LinkByIndex(m); err != nil {
			return Path{}, fmt.Errorf("path: bridge ifindex %d of %s: %w", m, hostVeth.Attrs().Name, err)
		}
		w.add(RoleBridge, w.req.NodeNetns, w.node, bridge)
	}
	// Past the bridge an error still leaves the hops found so far worth returning.
	err = w.beyondNode(bridge, src)
	return w.path, err
}

// podEgress is the pod link the route to the destination uses and its source address.
func (w *walker) podEgress() (netlink.Link, netip.Addr, error) {
	routes, err := w.pod.RouteGet(w.req.Destination.AsSlice())
	if err != nil || len(routes) == 0 {
		return nil, netip.Addr{}, fmt.Errorf("path: no route to %s in the pod netns: %w", w.req.Destination, orNoRoute(err))
	}
	link, err := w.pod.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return nil, netip.Addr{}, fmt.Errorf("path: pod egress ifindex %d: %w", routes[0].LinkIndex, err)
	}
	src, _ := netip.AddrFromSlice(routes[0].Src)
	return link, src.Unmap(), nil
}

// hostVeth finds the node end of the pod's veth: netlink reports the peer's
// ifindex and the peer namespace's id relative to the pod namespace.
func (w *walker) hostVeth(podLink netlink.Link) (netlink.Link, error) {
	a := podLink.Attrs()
	if podLink.Type() != "veth" || a.ParentIndex == 0 {
		return nil, fmt.Errorf("path: pod interface %s is a %s without a peer; only veth-attached pods are traced", a.Name, podLink.Type())
	}
	if want, err := w.pod.GetNetNsIdByFd(w.nodeNs.Fd()); err == nil && want >= 0 && a.NetNsID >= 0 && want != a.NetNsID {
		return nil, fmt.Errorf("path: the peer of pod %s lives in netns id %d, not in the node netns (id %d): is the node namespace right?", a.Name, a.NetNsID, want)
	}
	peer, err := w.node.LinkByIndex(a.ParentIndex)
	if err != nil {
		return nil, fmt.Errorf("path: host veth ifindex %d (peer of pod %s): %w", a.ParentIndex, a.Name, err)
	}
	// Ifindexes repeat across namespaces, so an interface with the peer's index
	// (even one whose own peer has the pod's index) may belong to another pod.
	// The host end names its peer namespace by an id relative to the node
	// namespace: it must be the id the node namespace has for the pod namespace.
	if peer.Type() != "veth" || peer.Attrs().ParentIndex != a.Index {
		return nil, fmt.Errorf("path: node ifindex %d (%s) is not the peer of pod %s: is the node namespace right?", a.ParentIndex, peer.Attrs().Name, a.Name)
	}
	if id, err := w.node.GetNetNsIdByFd(w.podNs.Fd()); err == nil && peer.Attrs().NetNsID >= 0 && id != peer.Attrs().NetNsID {
		return nil, fmt.Errorf("path: node interface %s (ifindex %d) is the peer of another namespace's %s, not of this pod: is the node namespace right?",
			peer.Attrs().Name, a.ParentIndex, a.Name)
	}
	return peer, nil
}

// add appends link as a hop.
func (w *walker) add(role, ns string, h *netlink.Handle, link netlink.Link) *Hop {
	hop := describe(h, link)
	hop.Role, hop.Netns = role, ns
	w.path.Hops = append(w.path.Hops, hop)
	return &w.path.Hops[len(w.path.Hops)-1]
}

// openNetns opens a namespace by path; "" is the caller's own.
func openNetns(path string) (*netns.NetNS, error) {
	if path == "" {
		return netns.Current()
	}
	return netns.Open(path)
}

func orNoRoute(err error) error {
	if err == nil {
		return errors.New("no route")
	}
	return err
}
