//go:build linux

package icmp

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// EgressInterface asks the kernel (netlink RTM_GETROUTE, `ip route get`) which
// interface packets to dst leave by, and returns its name and MTU: the size the
// sweep tries first.
func EgressInterface(dst net.IP) (string, int, error) {
	routes, err := netlink.RouteGet(dst)
	if err != nil {
		return "", 0, fmt.Errorf("route to %s: %w", dst, err)
	}
	if len(routes) == 0 {
		return "", 0, fmt.Errorf("route to %s: the kernel returned none", dst)
	}
	link, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return "", 0, fmt.Errorf("egress link %d for %s: %w", routes[0].LinkIndex, dst, err)
	}
	return link.Attrs().Name, link.Attrs().MTU, nil
}
