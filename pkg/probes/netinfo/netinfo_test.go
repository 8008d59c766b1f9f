//go:build linux

package netinfo

import (
	"context"
	"slices"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func TestNetInfoInNamespace(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	ns := p.Client
	ns.Bridge(t, "br0", "10.253.0.1/24")
	// A second veth pair inside the namespace, one end enslaved to the bridge:
	// the shape of a node's cni0 with a pod's host-side veth.
	netnstest.Veth(t, netnstest.End{NS: ns, Dev: "vhost0"}, netnstest.End{NS: ns, Dev: "vpod0", CIDR: "10.253.0.2/24"}, 1450)
	ns.Enslave(t, "vhost0", "br0")
	ns.IP(t, "route", "add", "10.254.0.0/16", "via", p.ServerIP, "mtu", "1400")
	ns.IP(t, "neigh", "add", "10.250.99.9", "lladdr", "02:00:00:00:00:09", "dev", "eth0", "nud", "permanent")
	ns.ListenTCP(t, "127.0.0.1:18080")
	ns.ListenTCP(t, "0.0.0.0:18081")
	ns.ListenUDP(t, "127.0.0.1:15353")

	c := &Check{Enter: ns.Do}
	res := c.Run(context.Background(), v1alpha1.CheckSpec{ID: "n", Check: "netinfo",
		NetInfo: &v1alpha1.NetInfoSpec{Listeners: true}}, nil)
	if res.Status != v1alpha1.StatusPass || res.NetInfo == nil {
		t.Fatalf("%s: %s %s", res.Status, res.Summary, res.Error)
	}
	t.Log(res.Summary)
	info := res.NetInfo

	ifs := map[string]v1alpha1.Interface{}
	for _, i := range info.Interfaces {
		ifs[i.Name] = i
	}
	if lo := ifs["lo"]; !lo.Up || !slices.Contains(lo.Addrs, "127.0.0.1/8") {
		t.Errorf("lo: %+v", lo)
	}
	eth0 := ifs["eth0"]
	if eth0.Kind != "veth" || eth0.MTU != 1500 || !eth0.Up || eth0.MAC == "" || !slices.Contains(eth0.Addrs, p.ClientIP+"/24") {
		t.Errorf("eth0: %+v", eth0)
	}
	if eth0.PeerIndex == 0 {
		t.Errorf("eth0 has no veth peer index: %+v", eth0)
	}
	if br := ifs["br0"]; br.Kind != "bridge" || !slices.Contains(br.Addrs, "10.253.0.1/24") {
		t.Errorf("br0: %+v", br)
	}
	vhost, vpod := ifs["vhost0"], ifs["vpod0"]
	if vhost.Master != "br0" || vhost.MTU != 1450 {
		t.Errorf("vhost0: %+v", vhost)
	}
	// Both ends are in this netns, so each one's peer index is the other's index.
	if vhost.PeerIndex != vpod.Index || vpod.PeerIndex != vhost.Index {
		t.Errorf("veth peers: vhost0 %+v vpod0 %+v", vhost, vpod)
	}

	var sawRoute, sawLocal bool
	for _, r := range info.Routes {
		if r.Dst == "10.254.0.0/16" && r.Gateway == p.ServerIP && r.Dev == "eth0" && r.MTU == 1400 && r.Table == 254 {
			sawRoute = true
		}
		if r.Table == 255 && r.Dst == "127.0.0.1/32" { // table local: all tables were read
			sawLocal = true
		}
	}
	if !sawRoute || !sawLocal {
		t.Errorf("routes (custom %v, local table %v): %+v", sawRoute, sawLocal, info.Routes)
	}
	if !slices.Contains(info.Neighbors, v1alpha1.Neighbor{IP: "10.250.99.9", MAC: "02:00:00:00:00:09", Dev: "eth0", State: "PERMANENT"}) {
		t.Errorf("neighbours: %+v", info.Neighbors)
	}

	for _, want := range []v1alpha1.Listener{
		{Proto: "tcp", Addr: "127.0.0.1", Port: 18080},
		{Proto: "tcp", Addr: "0.0.0.0", Port: 18081},
		{Proto: "udp", Addr: "127.0.0.1", Port: 15353},
	} {
		if !slices.Contains(info.Listeners, want) {
			t.Errorf("listener %+v missing from %+v", want, info.Listeners)
		}
	}
	// Only this netns' sockets: the host's (or the test binary's) must not leak in.
	if len(info.Listeners) != 3 {
		t.Errorf("want exactly the 3 listeners of this netns, got %+v", info.Listeners)
	}
}
