//go:build linux

package path

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path/pathtest"
)

// wantHop is what the test pins of each discovered hop.
type wantHop struct {
	role, netns, name, kind string
	mtu                     int
}

func TestDiscoverFlannelVXLANPath(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	for _, tc := range []struct{ from, to *pathtest.Node }{{topo.A, topo.B}, {topo.B, topo.A}} {
		t.Run(tc.from.Name, func(t *testing.T) {
			from, to := tc.from, tc.to
			p, err := Discover(Request{PodNetns: from.PodNetns(), NodeNetns: from.HostNetns(), Destination: to.PodIP})
			if err != nil {
				t.Fatalf("Discover: %v (hops so far %+v)", err, p.Hops)
			}
			want := []wantHop{
				{RolePod, from.PodNetns(), pathtest.PodDev, "veth", pathtest.OverlayMTU},
				{RoleHostVeth, from.HostNetns(), from.HostVeth, "veth", pathtest.OverlayMTU},
				{RoleBridge, from.HostNetns(), pathtest.BridgeDev, "bridge", pathtest.OverlayMTU},
				{RoleOverlay, from.HostNetns(), pathtest.VXLANDev, "vxlan", pathtest.OverlayMTU},
				{RoleUnderlay, from.HostNetns(), pathtest.UnderlayDev, "veth", pathtest.UnderlayMTU},
			}
			if len(p.Hops) != len(want) {
				t.Fatalf("got %d hops %s, want %d", len(p.Hops), hopNames(p.Hops), len(want))
			}
			for i, w := range want {
				h := p.Hops[i]
				got := wantHop{h.Role, h.Netns, h.Name, h.Kind, h.MTU}
				if got != w {
					t.Errorf("hop %d = %+v, want %+v", i, got, w)
				}
			}
			if p.Source != from.PodIP || p.Local {
				t.Errorf("source %s local %v, want %s and a remote destination", p.Source, p.Local, from.PodIP)
			}
			pod, veth, bridge, vxlan, underlay := p.Hops[0], p.Hops[1], p.Hops[2], p.Hops[3], p.Hops[4]
			if pod.PeerIndex != veth.Index || veth.PeerIndex != pod.Index {
				t.Errorf("veth peers: pod %d->%d, host %d->%d", pod.Index, pod.PeerIndex, veth.Index, veth.PeerIndex)
			}
			if veth.Master != pathtest.BridgeDev {
				t.Errorf("host veth master %q", veth.Master)
			}
			if !hasAddr(pod, from.PodIP) || !hasAddr(bridge, from.PodGateway) || !hasAddr(vxlan, from.VXLANIP) || !hasAddr(underlay, from.UnderlayIP) {
				t.Errorf("addresses: pod %v bridge %v vxlan %v underlay %v", pod.Addrs, bridge.Addrs, vxlan.Addrs, underlay.Addrs)
			}
			if vxlan.MAC != from.VXLANMAC || pod.MAC == "" {
				t.Errorf("MACs: vxlan %q (want %s), pod %q", vxlan.MAC, from.VXLANMAC, pod.MAC)
			}
			wantVX := VXLAN{VNI: pathtest.VNI, Local: from.UnderlayIP, DstPort: pathtest.VXLANPort, Underlay: pathtest.UnderlayDev,
				Gateway: to.VXLANIP, RemoteMAC: to.VXLANMAC, RemoteVTEP: to.UnderlayIP}
			if vxlan.VXLAN == nil || *vxlan.VXLAN != wantVX {
				t.Errorf("vxlan = %+v, want %+v", vxlan.VXLAN, wantVX)
			}
		})
	}
}

// A wrong FDB shows up in the discovered VXLAN facts: the remote VTEP is not the
// peer node's underlay IP.
func TestDiscoverReportsFDBDestination(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	stale := netip.MustParseAddr("10.250.0.9")
	topo.A.ReplaceFDB(t, topo.B, stale)
	p, err := Discover(Request{PodNetns: topo.A.PodNetns(), NodeNetns: topo.A.HostNetns(), Destination: topo.B.PodIP})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Hops[3].VXLAN.RemoteVTEP; got != stale {
		t.Fatalf("remote VTEP %s, want the stale %s", got, stale)
	}
}

func TestDiscoverSameNodeEndsAtBridge(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	p, err := Discover(Request{PodNetns: topo.A.PodNetns(), NodeNetns: topo.A.HostNetns(), Destination: netip.MustParseAddr("10.253.1.77")})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Local || len(p.Hops) != 3 || p.Hops[2].Role != RoleBridge {
		t.Fatalf("local=%v hops %s, want a local path ending at the bridge", p.Local, hopNames(p.Hops))
	}
}

func TestDiscoverRejectsWrongNodeNamespace(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	_, err := Discover(Request{PodNetns: topo.A.PodNetns(), NodeNetns: topo.B.HostNetns(), Destination: topo.B.PodIP})
	if err == nil || !strings.Contains(err.Error(), "node") {
		t.Fatalf("err = %v, want one naming the node namespace", err)
	}
}

func TestDescribeVXLAN(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	h, err := Describe(topo.B.HostNetns(), pathtest.VXLANDev)
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind != "vxlan" || h.MTU != pathtest.OverlayMTU || h.VXLAN == nil || h.VXLAN.Local != topo.B.UnderlayIP ||
		h.VXLAN.VNI != pathtest.VNI || h.VXLAN.DstPort != pathtest.VXLANPort || h.VXLAN.Underlay != pathtest.UnderlayDev {
		t.Fatalf("Describe = %+v vxlan %+v", h, h.VXLAN)
	}
	if _, err := Describe(topo.B.HostNetns(), "nope0"); err == nil {
		t.Fatal("Describe of a missing interface succeeded")
	}
}

func hasAddr(h Hop, a netip.Addr) bool {
	for _, p := range h.Addrs {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

func hopNames(hops []Hop) string {
	var s []string
	for _, h := range hops {
		s = append(s, h.Role+":"+h.Name)
	}
	return strings.Join(s, " -> ")
}
