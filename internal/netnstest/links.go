//go:build linux

package netnstest

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// ifSeq keeps interface names unique inside a test binary. Names only have to be
// unique per namespace, but unique names make failures easier to read.
var ifSeq atomic.Int64

// End is one end of a link: the namespace, the interface name and its address.
type End struct {
	NS   *NS
	Dev  string
	CIDR string // e.g. "10.250.1.1/24"; empty for no address
}

// Veth creates a veth pair between a and b (which may be the same namespace),
// assigns the addresses, sets the MTU on both ends (0 keeps 1500) and brings both
// ends up. The pair goes away with its namespaces.
func Veth(t testing.TB, a, b End, mtu int) {
	t.Helper()
	if a.Dev == "" {
		a.Dev = fmt.Sprintf("va%d", ifSeq.Add(1))
	}
	if b.Dev == "" {
		b.Dev = fmt.Sprintf("vb%d", ifSeq.Add(1))
	}
	a.NS.IP(t, "link", "add", a.Dev, "type", "veth", "peer", "name", b.Dev, "netns", b.NS.Name)
	for _, e := range []End{a, b} {
		if mtu > 0 {
			e.NS.IP(t, "link", "set", e.Dev, "mtu", strconv.Itoa(mtu))
		}
		if e.CIDR != "" {
			e.NS.IP(t, "addr", "add", e.CIDR, "dev", e.Dev)
		}
		e.NS.IP(t, "link", "set", e.Dev, "up")
	}
	a.NS.WaitLinkReady(t, a.Dev)
	b.NS.WaitLinkReady(t, b.Dev)
}

// WaitLinkReady waits until dev is operationally up and has its real qdisc.
// Right after `ip link set up` the kernel's linkwatch still has the "noop" qdisc
// on the device for up to a second and silently drops what is sent, which a
// connect test would misread as a timeout.
func (n *NS) WaitLinkReady(t testing.TB, dev string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := n.IP(t, "link", "show", "dev", dev)
		if strings.Contains(out, "state UP") && !strings.Contains(out, "qdisc noop") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("link %s in %s not ready after 5s: %s", dev, n.Name, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Bridge creates a bridge in ns with an optional address and returns its name.
func (n *NS) Bridge(t testing.TB, name, cidr string) string {
	t.Helper()
	n.IP(t, "link", "add", name, "type", "bridge")
	if cidr != "" {
		n.IP(t, "addr", "add", cidr, "dev", name)
	}
	n.IP(t, "link", "set", name, "up")
	return name
}

// Enslave attaches dev to bridge inside the namespace.
func (n *NS) Enslave(t testing.TB, dev, bridge string) {
	t.Helper()
	n.IP(t, "link", "set", dev, "master", bridge)
}

// Pair is a client namespace and a server namespace on one veth link.
type Pair struct {
	Client, Server     *NS
	ClientIP, ServerIP string
}

// pairSeq gives every Pair its own /24 so addresses never repeat within a test binary.
var pairSeq atomic.Int64

// NewPair builds client <-> server on one veth link with a /24 of 10.250.X.0,
// a subnet that only exists inside these namespaces.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	x := pairSeq.Add(1)%200 + 1
	p := &Pair{Client: New(t), Server: New(t),
		ClientIP: fmt.Sprintf("10.250.%d.1", x), ServerIP: fmt.Sprintf("10.250.%d.2", x)}
	Veth(t, End{NS: p.Client, Dev: "eth0", CIDR: p.ClientIP + "/24"},
		End{NS: p.Server, Dev: "eth0", CIDR: p.ServerIP + "/24"}, 0)
	return p
}

// Path is client -> router -> server, two links with their own MTUs.
type Path struct {
	Client, Router, Server *NS
	ClientIP, ServerIP     string
	// RouterClientIP and RouterServerIP are the router's addresses on each link;
	// RouterClientIP is the source of the ICMP errors the client receives.
	RouterClientIP, RouterServerIP string
	ClientMTU, ServerMTU           int
}

// NewPath builds client(eth0) -- router -- server(eth0): the client link has
// clientMTU, the router->server link serverMTU (0 keeps 1500). Both ends route
// through the router, which forwards.
func NewPath(t testing.TB, clientMTU, serverMTU int) *Path {
	t.Helper()
	x := pairSeq.Add(1)%100 + 1
	p := &Path{Client: New(t), Router: New(t), Server: New(t),
		ClientIP: fmt.Sprintf("10.251.%d.2", x), RouterClientIP: fmt.Sprintf("10.251.%d.1", x),
		ServerIP: fmt.Sprintf("10.252.%d.2", x), RouterServerIP: fmt.Sprintf("10.252.%d.1", x),
		ClientMTU: orDefault(clientMTU, 1500), ServerMTU: orDefault(serverMTU, 1500)}
	Veth(t, End{NS: p.Client, Dev: "eth0", CIDR: p.ClientIP + "/24"},
		End{NS: p.Router, Dev: "rc0", CIDR: p.RouterClientIP + "/24"}, clientMTU)
	Veth(t, End{NS: p.Router, Dev: "rs0", CIDR: p.RouterServerIP + "/24"},
		End{NS: p.Server, Dev: "eth0", CIDR: p.ServerIP + "/24"}, serverMTU)
	p.Router.Sysctl(t, "net.ipv4.ip_forward", "1")
	p.Client.IP(t, "route", "add", "default", "via", p.RouterClientIP)
	p.Server.IP(t, "route", "add", "default", "via", p.RouterServerIP)
	return p
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
