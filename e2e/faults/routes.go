package faults

import (
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// BlackholeRoute adds a blackhole route for dst (a CIDR, e.g. one pod's
// "10.244.1.5/32") in the main table of the namespace at netnsPath, and
// removes it at cleanup. Being more specific than the bridge's connected
// route, it makes the node silently discard what it would forward to dst:
// no ICMP, no firewall counter, ip_forward untouched.
func BlackholeRoute(t testing.TB, netnsPath, dst string) {
	t.Helper()
	h := netlinkAt(t, netnsPath)
	prefix, err := netlink.ParseIPNet(dst)
	if err != nil {
		h.Close()
		t.Fatalf("faults: %v", err)
	}
	route := &netlink.Route{Dst: prefix, Type: unix.RTN_BLACKHOLE, Table: unix.RT_TABLE_MAIN}
	if err := h.RouteAdd(route); err != nil {
		h.Close()
		t.Fatalf("faults: add blackhole route %s in %s: %v", dst, netnsPath, err)
	}
	t.Logf("faults: blackhole route %s in %s", dst, netnsPath)
	t.Cleanup(func() {
		defer h.Close()
		if err := h.RouteDel(route); err != nil {
			t.Errorf("faults: remove blackhole route %s in %s: %v", dst, netnsPath, err)
		}
	})
}
