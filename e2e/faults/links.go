package faults

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// MTU sets dev's MTU inside the network namespace at netnsPath (a node's
// cni0/flannel.1/eth0, or a pod's eth0) and restores the old MTU at cleanup.
func MTU(t testing.TB, netnsPath, dev string, mtu int) {
	t.Helper()
	h := netlinkAt(t, netnsPath)
	link := linkIn(t, h, dev, netnsPath)
	old := link.Attrs().MTU
	if err := h.LinkSetMTU(link, mtu); err != nil {
		h.Close()
		t.Fatalf("faults: set %s MTU %d in %s: %v", dev, mtu, netnsPath, err)
	}
	t.Logf("faults: %s MTU %d -> %d in %s", dev, old, mtu, netnsPath)
	t.Cleanup(func() {
		defer h.Close()
		if err := h.LinkSetMTU(link, old); err != nil {
			t.Errorf("faults: restore %s MTU %d in %s: %v", dev, old, netnsPath, err)
		}
	})
}

// Neighbor replaces the neighbour (ARP) entry for ip on dev with a permanent
// one pointing at mac, e.g. flannel.1's entry for the other node's VTEP, and
// puts the previous entry back (or removes the new one) at cleanup.
func Neighbor(t testing.TB, netnsPath, dev, ip, mac string) {
	t.Helper()
	h := netlinkAt(t, netnsPath)
	link := linkIn(t, h, dev, netnsPath)
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	addr := net.ParseIP(ip)
	var old *netlink.Neigh
	if neighs, err := h.NeighList(link.Attrs().Index, netlink.FAMILY_V4); err == nil {
		for i := range neighs {
			if neighs[i].IP.Equal(addr) {
				old = &neighs[i]
			}
		}
	}
	fake := &netlink.Neigh{LinkIndex: link.Attrs().Index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT, IP: addr, HardwareAddr: hw}
	if err := h.NeighSet(fake); err != nil {
		h.Close()
		t.Fatalf("faults: replace neighbour %s on %s in %s: %v", ip, dev, netnsPath, err)
	}
	t.Logf("faults: neighbour %s on %s -> %s in %s (was %v)", ip, dev, mac, netnsPath, describeNeigh(old))
	t.Cleanup(func() {
		defer h.Close()
		var err error
		if old != nil {
			err = h.NeighSet(old)
		} else {
			err = h.NeighDel(fake)
		}
		if err != nil {
			t.Errorf("faults: restore neighbour %s on %s in %s: %v", ip, dev, netnsPath, err)
		}
	})
}

// FDB points the forwarding-database entry for mac on a VXLAN device (which
// remote VTEP frames for that MAC are sent to) at dst instead, and restores
// the previous destination at cleanup.
func FDB(t testing.TB, netnsPath, dev, mac, dst string) {
	t.Helper()
	h := netlinkAt(t, netnsPath)
	link := linkIn(t, h, dev, netnsPath)
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	old, err := fdbEntry(h, link, hw)
	if err != nil {
		h.Close()
		t.Fatalf("faults: %v", err)
	}
	entry := func(ip net.IP) *netlink.Neigh {
		return &netlink.Neigh{LinkIndex: link.Attrs().Index, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
			State: netlink.NUD_PERMANENT, HardwareAddr: hw, IP: ip}
	}
	if err := h.NeighSet(entry(net.ParseIP(dst))); err != nil {
		h.Close()
		t.Fatalf("faults: replace FDB %s on %s in %s: %v", mac, dev, netnsPath, err)
	}
	t.Logf("faults: FDB %s on %s dst %v -> %s in %s", mac, dev, oldIP(old), dst, netnsPath)
	t.Cleanup(func() {
		defer h.Close()
		var err error
		if old != nil {
			err = h.NeighSet(entry(old.IP))
		} else {
			err = h.NeighDel(entry(net.ParseIP(dst)))
		}
		if err != nil {
			t.Errorf("faults: restore FDB %s on %s in %s: %v", mac, dev, netnsPath, err)
		}
	})
}

// FDBDst returns the remote VTEP IP the FDB sends mac to on dev (nil if none).
func FDBDst(netnsPath, dev, mac string) (net.IP, error) {
	var ip net.IP
	err := inNetns(netnsPath, func() error {
		link, err := netlink.LinkByName(dev)
		if err != nil {
			return err
		}
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return err
		}
		e, err := fdbEntry(nil, link, hw)
		if e != nil {
			ip = e.IP
		}
		return err
	})
	return ip, err
}

func fdbEntry(h *netlink.Handle, link netlink.Link, hw net.HardwareAddr) (*netlink.Neigh, error) {
	list := netlink.NeighList
	if h != nil {
		list = h.NeighList
	}
	neighs, err := list(link.Attrs().Index, unix.AF_BRIDGE)
	if err != nil {
		return nil, errorf("list FDB of %s: %v", link.Attrs().Name, err)
	}
	for i := range neighs {
		if neighs[i].HardwareAddr.String() == hw.String() && neighs[i].IP != nil {
			return &neighs[i], nil
		}
	}
	return nil, nil
}

func oldIP(n *netlink.Neigh) any {
	if n == nil {
		return "none"
	}
	return n.IP
}

func describeNeigh(n *netlink.Neigh) string {
	if n == nil {
		return "absent"
	}
	return n.HardwareAddr.String()
}
