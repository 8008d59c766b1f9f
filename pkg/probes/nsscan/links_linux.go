package nsscan

import (
	"fmt"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// dumpRetries: netlink dumps are flagged interrupted when the table changes
// mid-dump, which on a busy node is routine; retry a few times.
const dumpRetries = 3

// reader reads namespaces from one pinned thread with one reused buffer; it
// belongs to the goroutine that made it.
type reader struct {
	pin *netns.Pinned
	buf []byte
}

func newReader() (*reader, error) {
	p, err := netns.Pin()
	if err != nil {
		return nil, err
	}
	return &reader{pin: p, buf: make([]byte, recvBufSize)}, nil
}

func (r *reader) release() { r.pin.Release() }

// dial opens a NETLINK_ROUTE socket inside ns; blocking, read on this thread.
func (r *reader) dial(ns *netns.NetNS) (*rtnl, error) {
	fd, err := r.pin.Socket(ns, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return &rtnl{fd: fd, buf: r.buf}, nil
}

// bridge is the node bridge pods attach to and its ports, read once.
type bridge struct {
	name string
	ns   *netns.NetNS
	// ports maps a port's ifindex to its name; only veths can lead into a pod.
	ports map[int]string
}

func (b *bridge) close() { _ = b.ns.Close() }

// openBridge reads the bridge's ports. It returns nil, nil when no bridge was asked for.
func openBridge(name, nsPath string) (*bridge, error) {
	if name == "" {
		return nil, nil
	}
	if nsPath == "" {
		nsPath = "/proc/self/ns/net"
	}
	ns, err := netns.Open(nsPath)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", name, err)
	}
	links, err := func() ([]rawLink, error) {
		r, err := newReader()
		if err != nil {
			return nil, err
		}
		defer r.release()
		nl, err := r.dial(ns)
		if err != nil {
			return nil, err
		}
		defer nl.close()
		return nl.links()
	}()
	if err != nil {
		_ = ns.Close()
		return nil, fmt.Errorf("bridge %s in %s: %w", name, nsPath, err)
	}
	brIndex := 0
	for _, l := range links {
		if l.Name == name {
			brIndex = l.Index
		}
	}
	if brIndex == 0 {
		_ = ns.Close()
		return nil, fmt.Errorf("bridge %s: no such link in %s", name, nsPath)
	}
	b := &bridge{name: name, ns: ns, ports: map[int]string{}}
	for _, l := range links {
		if l.Master == brIndex && l.Kind == "veth" {
			b.ports[l.Index] = l.Name
		}
	}
	return b, nil
}

// readLinks dumps a namespace's links and addresses, and names the bridge
// ports its veths are plugged into.
func (r *reader) readLinks(ns *netns.NetNS, br *bridge) ([]v1alpha1.Interface, []string, error) {
	nl, err := r.dial(ns)
	if err != nil {
		return nil, nil, err
	}
	defer nl.close()
	links, err := nl.links()
	if err != nil {
		return nil, nil, fmt.Errorf("list links: %w", err)
	}
	addrs, err := nl.addrs()
	if err != nil {
		return nil, nil, fmt.Errorf("list addresses: %w", err)
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Index] = l.Name
	}
	ifaces := make([]v1alpha1.Interface, len(links))
	pos := make(map[int]int, len(links))
	for i, l := range links {
		ifaces[i] = toInterface(l, names)
		pos[l.Index] = i
	}
	for _, a := range addrs {
		if i, ok := pos[a.Index]; ok {
			ifaces[i].Addrs = append(ifaces[i].Addrs, a.Prefix.String())
		}
	}
	var ports []string
	if br != nil && br.ns.ID() != ns.ID() {
		ports = bridgePorts(nl, links, br)
	}
	return ifaces, ports, nil
}

// bridgePorts finds the host-side ends of this namespace's veths among the
// bridge's ports. A veth reports its peer's ifindex (IFLA_LINK) and the peer's
// namespace as an nsid local to this namespace (IFLA_LINK_NETNSID); the bridge
// namespace's nsid as seen from here says which veths end there.
func bridgePorts(nl *rtnl, links []rawLink, br *bridge) []string {
	var ports []string
	nsid := -2 // not asked yet; -1 means "no nsid assigned"
	for _, l := range links {
		if l.Kind != "veth" || l.LinkNetNSID < 0 || l.Link == 0 {
			continue
		}
		if nsid == -2 {
			id, err := nl.nsid(br.ns.Fd())
			if err != nil {
				return nil
			}
			nsid = id
		}
		if l.LinkNetNSID != nsid {
			continue
		}
		if name, ok := br.ports[l.Link]; ok {
			ports = append(ports, name)
		}
	}
	sort.Strings(ports)
	return ports
}

func toInterface(l rawLink, names map[int]string) v1alpha1.Interface {
	iface := v1alpha1.Interface{
		Name:  l.Name,
		Index: l.Index,
		Kind:  l.Kind,
		MTU:   l.MTU,
		Up:    l.Flags&unix.IFF_UP != 0,
	}
	if len(l.MAC) > 0 {
		iface.MAC = l.MAC.String()
	}
	if l.Kind == "veth" {
		iface.PeerIndex = l.Link
	}
	if l.Master != 0 {
		iface.Master = names[l.Master]
	}
	return iface
}
