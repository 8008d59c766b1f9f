//go:build linux

// Package pathtest builds, for tests, two "nodes" wired exactly like flannel's
// VXLAN backend: per node a network namespace with an underlay NIC, a VXLAN device
// flannel.1 (VNI 1, port 8472, local = the underlay IP, no learning, a permanent
// neighbour entry and a static FDB entry per remote node), a bridge cni0 holding
// the pod gateway address, and one pod namespace attached to the bridge by a
// veth. The nodes are joined by a veth (the underlay). Every address lives only
// inside these namespaces.
//
// It is test support: it plays the operator with ip(8) and bridge(8) through
// internal/netnstest, and production code never imports it.
package pathtest

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
)

// MTUs like a flannel node on a 1500-byte network: VXLAN costs 50 bytes.
const (
	UnderlayMTU = 1500
	OverlayMTU  = 1450
	VNI         = 1
	VXLANPort   = 8472
)

// Interface names, the ones flannel and the bridge CNI plugin use.
const (
	UnderlayDev = "eth0"
	VXLANDev    = "flannel.1"
	BridgeDev   = "cni0"
	PodDev      = "eth0"
)

// Node is one emulated node with its pod.
type Node struct {
	Name string
	Host *netnstest.NS
	Pod  *netnstest.NS
	// HostVeth is the node end of the pod's veth.
	HostVeth string
	// UnderlayIP is the node IP (the VTEP); VXLANIP flannel.1's /32; VXLANMAC its
	// fixed MAC; PodGateway cni0's address; PodIP the pod's.
	UnderlayIP, VXLANIP, PodGateway, PodIP netip.Addr
	PodCIDR                                netip.Prefix
	VXLANMAC                               string
}

// HostNetns and PodNetns are the namespace paths the probe code takes.
func (n *Node) HostNetns() string { return "/run/netns/" + n.Host.Name }
func (n *Node) PodNetns() string  { return "/run/netns/" + n.Pod.Name }

// TwoNodes is nodeA and nodeB joined by their underlay.
type TwoNodes struct {
	A, B *Node
}

// NewTwoNodes builds the topology; it goes away when the test ends.
func NewTwoNodes(t testing.TB) *TwoNodes {
	t.Helper()
	netnstest.SkipUnlessRoot(t)
	a, b := newNode(t, "nodeA", 1), newNode(t, "nodeB", 2)
	netnstest.Veth(t,
		netnstest.End{NS: a.Host, Dev: UnderlayDev, CIDR: a.UnderlayIP.String() + "/24"},
		netnstest.End{NS: b.Host, Dev: UnderlayDev, CIDR: b.UnderlayIP.String() + "/24"}, UnderlayMTU)
	for _, n := range []*Node{a, b} {
		n.addVXLAN(t)
		n.addPod(t)
	}
	a.routeTo(t, b, b.UnderlayIP)
	b.routeTo(t, a, a.UnderlayIP)
	return &TwoNodes{A: a, B: b}
}

func newNode(t testing.TB, name string, i int) *Node {
	return &Node{
		Name: name, Host: netnstest.New(t), Pod: netnstest.New(t),
		HostVeth:   fmt.Sprintf("veth%s", name[len(name)-1:]),
		UnderlayIP: netip.MustParseAddr(fmt.Sprintf("10.250.0.%d", i)),
		VXLANIP:    netip.MustParseAddr(fmt.Sprintf("10.253.%d.0", i)),
		PodGateway: netip.MustParseAddr(fmt.Sprintf("10.253.%d.1", i)),
		PodIP:      netip.MustParseAddr(fmt.Sprintf("10.253.%d.5", i)),
		PodCIDR:    netip.MustParsePrefix(fmt.Sprintf("10.253.%d.0/24", i)),
		VXLANMAC:   fmt.Sprintf("02:00:00:fa:00:%02x", i),
	}
}

// addVXLAN creates flannel.1 the way flanneld does.
func (n *Node) addVXLAN(t testing.TB) {
	n.Host.IP(t, "link", "add", VXLANDev, "address", n.VXLANMAC, "type", "vxlan", "id", fmt.Sprint(VNI),
		"local", n.UnderlayIP.String(), "dev", UnderlayDev, "dstport", fmt.Sprint(VXLANPort), "nolearning")
	n.Host.IP(t, "link", "set", VXLANDev, "mtu", fmt.Sprint(OverlayMTU), "up")
	n.Host.IP(t, "addr", "add", n.VXLANIP.String()+"/32", "dev", VXLANDev)
	n.Host.Sysctl(t, "net.ipv4.ip_forward", "1")
}

// addPod creates cni0 and the pod's veth, as the bridge CNI plugin does.
func (n *Node) addPod(t testing.TB) {
	n.Host.Bridge(t, BridgeDev, fmt.Sprintf("%s/%d", n.PodGateway, n.PodCIDR.Bits()))
	n.Host.IP(t, "link", "set", BridgeDev, "mtu", fmt.Sprint(OverlayMTU))
	netnstest.Veth(t,
		netnstest.End{NS: n.Pod, Dev: PodDev, CIDR: fmt.Sprintf("%s/%d", n.PodIP, n.PodCIDR.Bits())},
		netnstest.End{NS: n.Host, Dev: n.HostVeth}, OverlayMTU)
	n.Host.Enslave(t, n.HostVeth, BridgeDev)
	n.Pod.IP(t, "route", "add", "default", "via", n.PodGateway.String())
}

// routeTo installs what flanneld writes for a remote node: a route to its pod
// subnet via its flannel.1 address (onlink), a permanent neighbour entry for that
// address with its VTEP MAC, and an FDB entry sending that MAC to vtep.
func (n *Node) routeTo(t testing.TB, remote *Node, vtep netip.Addr) {
	n.Host.IP(t, "route", "add", remote.PodCIDR.String(), "via", remote.VXLANIP.String(), "dev", VXLANDev, "onlink")
	n.Host.IP(t, "neigh", "add", remote.VXLANIP.String(), "lladdr", remote.VXLANMAC, "dev", VXLANDev, "nud", "permanent")
	n.Host.Exec(t, "bridge", "fdb", "append", remote.VXLANMAC, "dev", VXLANDev, "dst", vtep.String())
}

// ReplaceFDB points the FDB entry for remote's VTEP MAC at vtep: the "stale FDB
// after a node changed its IP" fault.
func (n *Node) ReplaceFDB(t testing.TB, remote *Node, vtep netip.Addr) {
	t.Helper()
	n.Host.Exec(t, "bridge", "fdb", "replace", remote.VXLANMAC, "dev", VXLANDev, "dst", vtep.String())
}
