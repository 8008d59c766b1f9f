//go:build linux

package netinfo

import (
	"errors"
	"fmt"
	"net"
	"sort"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// dumpRetries bounds retries of a netlink dump the kernel interrupted because the
// table changed under it (pods come and go on a node all the time).
const dumpRetries = 5

// retryDump calls list until it returns without netlink.ErrDumpInterrupted.
// netlink v1.3.1 returns partial data together with that error; partial data is
// never used.
func retryDump[T any](what string, list func() (T, error)) (T, error) {
	var out T
	var err error
	for range dumpRetries {
		out, err = list()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return out, fmt.Errorf("list %s via netlink: %w", what, err)
	}
	return out, nil
}

// Interfaces lists every link with its kind, MTU, MAC, state, addresses, veth
// peer index and master.
func Interfaces() ([]v1alpha1.Interface, error) {
	links, err := retryDump("links", netlink.LinkList)
	if err != nil {
		return nil, err
	}
	addrs, err := retryDump("addresses", func() ([]netlink.Addr, error) { return netlink.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, err
	}
	byIndex := map[int][]string{}
	for _, a := range addrs {
		byIndex[a.LinkIndex] = append(byIndex[a.LinkIndex], a.IPNet.String())
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	out := make([]v1alpha1.Interface, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		i := v1alpha1.Interface{Name: a.Name, Index: a.Index, Kind: l.Type(), MTU: a.MTU,
			Up: a.Flags&net.FlagUp != 0, Addrs: byIndex[a.Index], Master: names[a.MasterIndex]}
		if len(a.HardwareAddr) > 0 {
			i.MAC = a.HardwareAddr.String()
		}
		if v, ok := l.(*netlink.Veth); ok {
			// The peer lives in another netns, so only its index is knowable here;
			// the node mode matches it against the host's links. A failure (e.g.
			// no ethtool support) just leaves it unknown.
			if peer, err := netlink.VethPeerIndex(v); err == nil {
				i.PeerIndex = peer
			}
		}
		out = append(out, i)
	}
	sort.Slice(out, func(x, y int) bool { return out[x].Index < out[y].Index })
	return out, nil
}

// Routes lists the routes of every table (main, local, policy tables), the view
// `ip route show table all` gives.
func Routes(names map[int]string) ([]v1alpha1.Route, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_UNSPEC}
	routes, err := retryDump("routes", func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, err
	}
	out := make([]v1alpha1.Route, 0, len(routes))
	for _, r := range routes {
		rt := v1alpha1.Route{Dst: routeDst(r), Dev: names[r.LinkIndex], MTU: r.MTU, Table: r.Table,
			OnLink: r.Flags&unix.RTNH_F_ONLINK != 0}
		if r.Gw != nil {
			rt.Gateway = r.Gw.String()
		}
		if r.Src != nil {
			rt.Src = r.Src.String()
		}
		out = append(out, rt)
	}
	return out, nil
}

// routeDst names a route's destination the way ip(8) does: "default" for 0/0.
func routeDst(r netlink.Route) string {
	if r.Dst == nil {
		return "default"
	}
	if ones, _ := r.Dst.Mask.Size(); ones == 0 {
		return "default"
	}
	return r.Dst.String()
}

// Neighbors lists ARP/NDP entries of every interface.
func Neighbors(names map[int]string) ([]v1alpha1.Neighbor, error) {
	neighs, err := retryDump("neighbours", func() ([]netlink.Neigh, error) { return netlink.NeighList(0, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, err
	}
	out := make([]v1alpha1.Neighbor, 0, len(neighs))
	for _, n := range neighs {
		nb := v1alpha1.Neighbor{Dev: names[n.LinkIndex], State: neighState(n.State)}
		if n.IP != nil {
			nb.IP = n.IP.String()
		}
		if len(n.HardwareAddr) > 0 {
			nb.MAC = n.HardwareAddr.String()
		}
		out = append(out, nb)
	}
	return out, nil
}

// neighState renders NUD_* flags like ip(8): "REACHABLE", "STALE", "FAILED", ...
func neighState(s int) string {
	names := []struct {
		bit  int
		name string
	}{
		{netlink.NUD_INCOMPLETE, "INCOMPLETE"}, {netlink.NUD_REACHABLE, "REACHABLE"}, {netlink.NUD_STALE, "STALE"},
		{netlink.NUD_DELAY, "DELAY"}, {netlink.NUD_PROBE, "PROBE"}, {netlink.NUD_FAILED, "FAILED"},
		{netlink.NUD_NOARP, "NOARP"}, {netlink.NUD_PERMANENT, "PERMANENT"},
	}
	for _, n := range names {
		if s&n.bit != 0 {
			return n.name
		}
	}
	return ""
}
