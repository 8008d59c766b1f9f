//go:build linux

package trace

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path"
)

// hop is a hop to capture with what netlink says about it.
type hop struct {
	v1alpha1.TraceHop
	Label string
	info  path.Hop
	// descErr is why the hop could not be described (the capture reports its own error).
	descErr error
}

// resolveHops describes the given hops, or discovers the local node's path from
// the source namespace when none are given.
func resolveHops(s *traceSpec) ([]hop, error) {
	if len(s.hops) == 0 {
		return discoverHops(s)
	}
	hops := make([]hop, 0, len(s.hops))
	seen := map[string]bool{}
	for _, th := range s.hops {
		if th.Ifname == "" {
			return nil, fmt.Errorf("trace: hop %q has no ifname", th.Name)
		}
		h := hop{TraceHop: th, Label: hopLabel(th)}
		if seen[h.Label] {
			return nil, fmt.Errorf("trace: two hops are labelled %q: give each a distinct node/name", h.Label)
		}
		seen[h.Label] = true
		h.info, h.descErr = path.Describe(th.Netns, th.Ifname)
		hops = append(hops, h)
	}
	return hops, nil
}

// discoverHops walks from the source pod to the node NIC (the probe runs in the
// node's namespace).
func discoverHops(s *traceSpec) ([]hop, error) {
	if s.source == "" {
		return nil, fmt.Errorf("trace: without hops, a source namespace is needed to discover the path")
	}
	p, err := path.Discover(path.Request{PodNetns: s.source, Destination: s.dst})
	if len(p.Hops) == 0 {
		return nil, fmt.Errorf("trace: discover path: %w", err)
	}
	node, _ := os.Hostname()
	var hops []hop
	for _, ph := range p.Hops {
		name := ph.Name
		if ph.Role == path.RolePod {
			name = "pod " + ph.Name
		}
		th := v1alpha1.TraceHop{Node: node, Name: name, Netns: ph.Netns, Ifname: ph.Name}
		hops = append(hops, hop{TraceHop: th, Label: hopLabel(th), info: ph})
	}
	return hops, nil
}

func hopLabel(h v1alpha1.TraceHop) string {
	name := h.Name
	if name == "" {
		name = h.Ifname
	}
	if h.Node == "" {
		return name
	}
	return h.Node + "/" + name
}

// hopInfos merges what netlink described and what the capture saw.
func hopInfos(hops []hop, captured []capture.InterfaceResult) []v1alpha1.TraceHopInfo {
	out := make([]v1alpha1.TraceHopInfo, len(hops))
	for i, h := range hops {
		hi := v1alpha1.TraceHopInfo{TraceHop: h.TraceHop, Label: h.Label, Role: h.info.Role, Ifindex: h.info.Index,
			Kind: h.info.Kind, MTU: h.info.MTU, MAC: h.info.MAC}
		for _, a := range h.info.Addrs {
			hi.Addrs = append(hi.Addrs, a.String())
		}
		if vx := h.info.VXLAN; vx != nil {
			hi.VXLAN = &v1alpha1.TraceVXLAN{VNI: vx.VNI, Local: addrString(vx.Local), DstPort: vx.DstPort, Underlay: vx.Underlay,
				RemoteVTEP: addrString(vx.RemoteVTEP), RemoteMAC: vx.RemoteMAC}
		}
		if i < len(captured) {
			c := captured[i]
			hi.LinkType, hi.Packets, hi.Drops = c.Link.String(), c.Packets, c.Dropped
			if c.Err != nil {
				hi.Error = c.Err.Error()
				hi.LinkType = ""
			}
		}
		if h.descErr != nil {
			// Captured or not, the hop's facts (MTU, kind) are missing: say why.
			hi.Error = strings.TrimPrefix(hi.Error+"; ", "; ") + h.descErr.Error()
		}
		out[i] = hi
	}
	return out
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// sourceAddress is the address the source namespace sends to dst from.
func sourceAddress(nsPath string, dst netip.Addr) (netip.Addr, error) {
	ns, err := openNetns(nsPath)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("trace: source: %w", err)
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("trace: source: %w", err)
	}
	defer h.Close()
	routes, err := h.RouteGet(dst.AsSlice())
	if err != nil || len(routes) == 0 {
		return netip.Addr{}, fmt.Errorf("trace: no route to %s from the source namespace: %v", dst, err)
	}
	src, ok := netip.AddrFromSlice(routes[0].Src)
	if !ok {
		return netip.Addr{}, fmt.Errorf("trace: the route to %s from the source namespace has no source address", dst)
	}
	return src.Unmap(), nil
}

func openNetns(p string) (*netns.NetNS, error) {
	if p == "" {
		return netns.Current()
	}
	return netns.Open(p)
}
