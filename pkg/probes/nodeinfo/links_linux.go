package nodeinfo

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// dumpRetries bounds retries of a netlink dump the kernel marked interrupted
// (the table changed meanwhile, so the answer may be inconsistent).
const dumpRetries = 5

func retryDump[T any](list func() ([]T, error)) ([]T, error) {
	var out []T
	var err error
	for range dumpRetries {
		if out, err = list(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return out, err
}

// readLinks lists every link with its addresses; VXLAN devices get their VNI,
// local address, port and underlay (VtepDevIndex, else the link owning Local).
func readLinks(h *netlink.Handle) ([]v1alpha1.NodeLink, error) {
	links, err := retryDump(h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, unix.AF_UNSPEC) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	byIndex := map[int]netlink.Link{}
	for _, l := range links {
		byIndex[l.Attrs().Index] = l
	}
	addrsOf := map[int][]string{}
	owner := map[netip.Addr]int{}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || a.IPNet == nil {
			continue
		}
		ones, _ := a.Mask.Size()
		addrsOf[a.LinkIndex] = append(addrsOf[a.LinkIndex], netip.PrefixFrom(ip.Unmap(), ones).String())
		owner[ip.Unmap()] = a.LinkIndex
	}
	out := make([]v1alpha1.NodeLink, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		nl := v1alpha1.NodeLink{Name: a.Name, Index: a.Index, Kind: l.Type(), MTU: a.MTU, MAC: macString(a.HardwareAddr),
			Addrs: addrsOf[a.Index], OperState: a.OperState.String()}
		if m, ok := byIndex[a.MasterIndex]; ok && a.MasterIndex != 0 {
			nl.Master = m.Attrs().Name
		}
		if vx, ok := l.(*netlink.Vxlan); ok {
			nl.VXLAN = vxlanOf(vx, byIndex, owner)
		}
		out = append(out, nl)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

func vxlanOf(vx *netlink.Vxlan, byIndex map[int]netlink.Link, owner map[netip.Addr]int) *v1alpha1.NodeVXLAN {
	out := &v1alpha1.NodeVXLAN{VNI: vx.VxlanId, DstPort: vx.Port}
	local, ok := netip.AddrFromSlice(vx.SrcAddr)
	if ok && !local.Unmap().IsUnspecified() {
		out.Local = local.Unmap().String()
	}
	under := vx.VtepDevIndex
	if under == 0 && ok {
		under = owner[local.Unmap()]
	}
	if u, found := byIndex[under]; found && under != 0 {
		out.Underlay, out.UnderlayMTU = u.Attrs().Name, u.Attrs().MTU
	}
	return out
}

// readRoutes lists the main table's IPv4 routes.
func readRoutes(h *netlink.Handle, names map[int]string) ([]v1alpha1.NodeRoute, error) {
	routes, err := retryDump(func() ([]netlink.Route, error) {
		return h.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	out := make([]v1alpha1.NodeRoute, 0, len(routes))
	for _, r := range routes {
		nr := v1alpha1.NodeRoute{Dst: "default", Dev: names[r.LinkIndex], Onlink: r.Flags&unix.RTNH_F_ONLINK != 0, MTU: r.MTU}
		if r.Dst != nil {
			nr.Dst = r.Dst.String()
		}
		if r.Gw != nil {
			nr.Gw = r.Gw.String()
		}
		if r.Src != nil {
			nr.Src = r.Src.String()
		}
		out = append(out, nr)
	}
	return out, nil
}

// readVXLANTables reads the neighbour (ARP) and forwarding database entries of
// every VXLAN device: flannel's permanent "peer flannel.1 IP -> VTEP MAC" and
// "VTEP MAC -> peer node IP" pairs.
func readVXLANTables(h *netlink.Handle, links []v1alpha1.NodeLink) ([]v1alpha1.NeighborEntry, []v1alpha1.FDBEntry, error) {
	var neighs []v1alpha1.NeighborEntry
	var fdb []v1alpha1.FDBEntry
	var errs []error
	for _, l := range links {
		if l.VXLAN == nil {
			continue
		}
		ns, err := retryDump(func() ([]netlink.Neigh, error) { return h.NeighList(l.Index, unix.AF_INET) })
		if err != nil {
			errs = append(errs, fmt.Errorf("neighbours of %s: %w", l.Name, err))
		}
		for _, n := range ns {
			neighs = append(neighs, v1alpha1.NeighborEntry{Link: l.Name, IP: n.IP.String(), MAC: macString(n.HardwareAddr),
				State: neighState(n.State)})
		}
		fs, err := retryDump(func() ([]netlink.Neigh, error) { return h.NeighList(l.Index, unix.AF_BRIDGE) })
		if err != nil {
			errs = append(errs, fmt.Errorf("forwarding database of %s: %w", l.Name, err))
		}
		for _, f := range fs {
			e := v1alpha1.FDBEntry{Link: l.Name, MAC: macString(f.HardwareAddr), State: neighState(f.State)}
			if f.IP != nil {
				e.Dst = f.IP.String()
			}
			fdb = append(fdb, e)
		}
	}
	return neighs, fdb, errors.Join(errs...)
}

// neighState names NUD states the way `ip neigh` prints them.
func neighState(s int) string {
	names := []struct {
		bit  int
		name string
	}{{unix.NUD_INCOMPLETE, "INCOMPLETE"}, {unix.NUD_REACHABLE, "REACHABLE"}, {unix.NUD_STALE, "STALE"},
		{unix.NUD_DELAY, "DELAY"}, {unix.NUD_PROBE, "PROBE"}, {unix.NUD_FAILED, "FAILED"},
		{unix.NUD_NOARP, "NOARP"}, {unix.NUD_PERMANENT, "PERMANENT"}}
	var out []string
	for _, n := range names {
		if s&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	if len(out) == 0 {
		return "NONE"
	}
	return strings.Join(out, ",")
}

func macString(hw net.HardwareAddr) string {
	if len(hw) == 0 {
		return ""
	}
	return hw.String()
}
