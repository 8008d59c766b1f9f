package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// setupNetwork builds the machine-local network the two nodes live on:
//
//	host netns (node 1)                         netns netcheck-node2 (node 2)
//	netcheck0 (bridge, no ports) 10.200.0.1/32  netcheck0 (bridge, no ports)
//	nc-node2 10.201.0.1/30  <---- veth ---->   eth0 10.201.0.2/30, default via .1
//	sink routes 10.96/16, 10.244/16 -> netcheck0 (same sink routes)
//
// This kernel has no dummy link type, so a port-less bridge holds node 1's IP.
// The sink routes make unprogrammed ClusterIPs and unused pod IPs die locally; a
// blackhole route would instead fail connect() before kube-proxy's DNAT runs.
// flannel adds the more specific per-node /24 routes over flannel.1 and the CNI
// bridge adds its own /24, so real traffic never reaches the sink.
func (l *Lab) setupNetwork(ctx context.Context) error {
	host, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer host.Close()
	if err := ensureSink(host, APIServerIP+"/32"); err != nil {
		return fmt.Errorf("host sink bridge: %w", err)
	}
	if err := nameHostNetns(); err != nil {
		return err
	}

	if !exists(Node2.NetnsPath()) {
		if _, err := run(ctx, "ip", "netns", "add", Node2.Netns); err != nil {
			return err
		}
	}
	nsh, err := netns.GetFromName(Node2.Netns)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", Node2.Netns, err)
	}
	defer nsh.Close()
	node2, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", Node2.Netns, err)
	}
	defer node2.Close()

	if err := ensureVeth(host, node2, nsh); err != nil {
		return err
	}
	if err := ensureSink(node2, ""); err != nil {
		return fmt.Errorf("node 2 sink bridge: %w", err)
	}
	if lo, err := node2.LinkByName("lo"); err == nil {
		_ = node2.LinkSetUp(lo)
	}
	gw := &netlink.Route{Gw: net.ParseIP(HostVethIP), Dst: nil}
	if eth0, err := node2.LinkByName("eth0"); err == nil {
		gw.LinkIndex = eth0.Attrs().Index
	}
	if err := node2.RouteReplace(gw); err != nil {
		return fmt.Errorf("node 2 default route: %w", err)
	}

	if err := setupForwarding(ctx); err != nil {
		return err
	}
	return l.setupGuard(ctx)
}

// nameHostNetns bind-mounts the host network namespace at Node1.NetnsPath().
func nameHostNetns() error {
	path := Node1.NetnsPath()
	if isNetnsMount(path) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()
	// The main goroutine's thread never leaves the host namespace, so the
	// process's own namespace is the host's.
	if err := unix.Mount("/proc/self/ns/net", path, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind host netns at %s: %w", path, err)
	}
	return nil
}

// isNetnsMount tells a live namespace bind mount from a stale empty file.
func isNetnsMount(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}

// ensureSink creates the port-less bridge with addr (may be empty) and routes the
// service and pod ranges into it.
func ensureSink(h *netlink.Handle, addr string) error {
	link, err := h.LinkByName(SinkBridge)
	if err != nil {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: SinkBridge}}
		if err := h.LinkAdd(br); err != nil {
			return fmt.Errorf("add bridge %s: %w", SinkBridge, err)
		}
		if link, err = h.LinkByName(SinkBridge); err != nil {
			return err
		}
	}
	if addr != "" {
		a, err := netlink.ParseAddr(addr)
		if err != nil {
			return err
		}
		if err := h.AddrReplace(link, a); err != nil {
			return fmt.Errorf("address %s on %s: %w", addr, SinkBridge, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("up %s: %w", SinkBridge, err)
	}
	for _, cidr := range []string{ServiceCIDR, PodCIDR} {
		_, dst, _ := net.ParseCIDR(cidr)
		if err := h.RouteReplace(&netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst}); err != nil {
			return fmt.Errorf("sink route %s: %w", cidr, err)
		}
	}
	return nil
}

// ensureVeth links the host to node 2: HostVeth on the host, eth0 in node 2.
func ensureVeth(host, node2 *netlink.Handle, nsh netns.NsHandle) error {
	if _, err := host.LinkByName(HostVeth); err != nil {
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: HostVeth, MTU: LinkMTU},
			PeerName:      "eth0",
			PeerNamespace: netlink.NsFd(int(nsh)),
		}
		if err := host.LinkAdd(veth); err != nil {
			return fmt.Errorf("add veth %s: %w", HostVeth, err)
		}
	}
	ends := []struct {
		h    *netlink.Handle
		name string
		addr string
	}{{host, HostVeth, HostVethIP}, {node2, "eth0", Node2IP}}
	for _, e := range ends {
		link, err := e.h.LinkByName(e.name)
		if err != nil {
			return fmt.Errorf("veth end %s: %w", e.name, err)
		}
		a, _ := netlink.ParseAddr(fmt.Sprintf("%s/%d", e.addr, LinkPrefix))
		if err := e.h.AddrReplace(link, a); err != nil {
			return fmt.Errorf("address on %s: %w", e.name, err)
		}
		if err := e.h.LinkSetMTU(link, LinkMTU); err != nil {
			return fmt.Errorf("mtu of %s: %w", e.name, err)
		}
		if err := e.h.LinkSetUp(link); err != nil {
			return fmt.Errorf("up %s: %w", e.name, err)
		}
	}
	return nil
}

// setupForwarding turns on routing and bridge netfilter on both nodes (node 2's
// namespace starts with the kernel defaults, not the host's values).
func setupForwarding(ctx context.Context) error {
	settings := []string{"net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1", "net.bridge.bridge-nf-call-ip6tables=1"}
	for _, s := range settings {
		k, v, _ := strings.Cut(s, "=")
		if err := WriteSysctl(k, v); err != nil {
			return err
		}
	}
	if _, err := runIn(ctx, Node2.Netns, "sysctl", append([]string{"-q", "-w"}, settings...)...); err != nil {
		return fmt.Errorf("node 2 sysctls: %w", err)
	}
	return nil
}

// uplinks are the host interfaces that default routes leave through.
func uplinks() ([]string, error) {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Dst: nil}, netlink.RT_FILTER_DST)
	if err != nil {
		return nil, fmt.Errorf("list default routes: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range routes {
		if r.Dst != nil && !r.Dst.IP.IsUnspecified() {
			continue
		}
		if link, err := netlink.LinkByIndex(r.LinkIndex); err == nil && !seen[link.Attrs().Name] {
			seen[link.Attrs().Name] = true
			out = append(out, link.Attrs().Name)
		}
	}
	return out, nil
}

// guardRuleset drops whatever the host would forward out of an uplink, so no
// pod or node 2 traffic can leave the machine, whatever a test does. Priority
// -300 runs it before kube-proxy's and flannel's chains.
func guardRuleset(uplinks []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n  chain forward {\n    type filter hook forward priority -300; policy accept;\n", GuardTable)
	for _, u := range uplinks {
		fmt.Fprintf(&b, "    oifname %q counter drop comment \"lab traffic must not leave the machine\"\n", u)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

func (l *Lab) setupGuard(ctx context.Context) error {
	ups, err := uplinks()
	if err != nil {
		return err
	}
	_, _ = run(ctx, "nft", "delete", "table", "inet", GuardTable)
	f, err := os.CreateTemp("", "netcheck-guard-*.nft")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(guardRuleset(ups)); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if _, err := run(ctx, "nft", "-f", f.Name()); err != nil {
		return fmt.Errorf("install traffic guard: %w", err)
	}
	return nil
}

// teardownNetwork removes the namespace, links (routes go with them) and the guard.
// Call it after every process using them has stopped.
func teardownNetwork(ctx context.Context) error {
	var errs []error
	if exists(Node2.NetnsPath()) {
		if _, err := run(ctx, "ip", "netns", "delete", Node2.Netns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range []string{"cni0", "flannel.1", HostVeth, SinkBridge} {
		if link, err := netlink.LinkByName(name); err == nil {
			if err := netlink.LinkDel(link); err != nil {
				errs = append(errs, fmt.Errorf("delete link %s: %w", name, err))
			}
		}
	}
	if exists(Node1.NetnsPath()) {
		if err := unix.Unmount(Node1.NetnsPath(), unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", Node1.NetnsPath(), err))
		}
		_ = os.Remove(Node1.NetnsPath())
	}
	if out, _ := run(ctx, "nft", "list", "tables"); strings.Contains(out, "inet "+GuardTable) {
		if _, err := run(ctx, "nft", "delete", "table", "inet", GuardTable); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
