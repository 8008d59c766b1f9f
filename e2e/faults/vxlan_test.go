//go:build e2e

package faults_test

import (
	"net"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/vishvananda/netlink"
)

// wrongVXLANSource is a lab-only address the fault adds to node 2's eth0.
const wrongVXLANSource = "10.201.0.6"

func TestVXLANSourceOnNode2(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "vxlansrc", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	addr := httpAddr(pod)
	node1, node2 := lab.Node1.NetnsPath(), lab.Node2.NetnsPath()
	mustAnswer(t, "", addr)
	// Node 1 admits VXLAN only from node 2's own address, as an underlay
	// firewall keyed on node IPs would.
	onlyFromNode2 := []string{"-p", "udp", "--dport", "8472", "!", "-s", lab.Node2IP, "-j", "DROP"}

	t.Run("flannel.1 on node 2 encapsulates from a secondary address", func(t *testing.T) {
		faults.VXLANSource(t, lab.Node2, "flannel.1", wrongVXLANSource)
		if got := vxlanLocal(t, node2, "flannel.1"); got != wrongVXLANSource {
			t.Fatalf("flannel.1 local = %s, want %s", got, wrongVXLANSource)
		}
		if !hasAddr(t, node2, "eth0", wrongVXLANSource) {
			t.Errorf("node 2's eth0 lacks %s", wrongVXLANSource)
		}
		if !hasRoute(t, node1, wrongVXLANSource) {
			t.Errorf("node 1 has no route to %s over %s", wrongVXLANSource, lab.HostVeth)
		}
		// The kernel decapsulates whatever the outer source, so without a
		// firewall the pod still answers; the firewall shows the packets now
		// come from the wrong address.
		mustAnswer(t, "", addr)
		t.Run("node 1 admits VXLAN only from node 2's InternalIP", func(t *testing.T) {
			faults.IPTablesRule(t, node1, "filter", "INPUT", onlyFromNode2...)
			mustNotAnswer(t, "", addr)
		})
	})
	if got := vxlanLocal(t, node2, "flannel.1"); got != lab.Node2IP {
		t.Errorf("flannel.1 local after cleanup = %s, want %s", got, lab.Node2IP)
	}
	if hasAddr(t, node2, "eth0", wrongVXLANSource) {
		t.Errorf("node 2's eth0 still holds %s after cleanup", wrongVXLANSource)
	}
	if hasRoute(t, node1, wrongVXLANSource) {
		t.Errorf("node 1 still routes %s after cleanup", wrongVXLANSource)
	}
	t.Run("after cleanup node 1 admits node 2's VXLAN again", func(t *testing.T) {
		faults.IPTablesRule(t, node1, "filter", "INPUT", onlyFromNode2...)
		mustAnswer(t, "", addr)
	})
}

func vxlanLocal(t *testing.T, netnsPath, dev string) string {
	t.Helper()
	link, err := framework.LinkByName(netnsPath, dev)
	if err != nil {
		t.Fatal(err)
	}
	vx, ok := link.(*netlink.Vxlan)
	if !ok {
		t.Fatalf("%s in %s is a %s", dev, netnsPath, link.Type())
	}
	return vx.SrcAddr.String()
}

func netlinkIn(t *testing.T, netnsPath string) *netlink.Handle {
	t.Helper()
	ns, err := netns.Open(netnsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func hasAddr(t *testing.T, netnsPath, dev, ip string) bool {
	t.Helper()
	h := netlinkIn(t, netnsPath)
	link, err := h.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := h.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.IP.String() == ip {
			return true
		}
	}
	return false
}

// hasRoute reports whether netnsPath has a host route to ip.
func hasRoute(t *testing.T, netnsPath, ip string) bool {
	t.Helper()
	h := netlinkIn(t, netnsPath)
	routes, err := h.RouteListFiltered(netlink.FAMILY_V4,
		&netlink.Route{Dst: &net.IPNet{IP: net.ParseIP(ip).To4(), Mask: net.CIDRMask(32, 32)}}, netlink.RT_FILTER_DST)
	if err != nil {
		t.Fatal(err)
	}
	return len(routes) > 0
}
