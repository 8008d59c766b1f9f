//go:build linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	bt "github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf/bpftest"
)

const tagPort = 61000

// flowFilter keeps TCP between the pair with the tag source ports, and ICMP.
func flowFilter(client, server netip.Addr, port uint16) bpf.Filter {
	return bpf.Filter{Terms: []bpf.Term{
		{Proto: bpf.ProtoTCP, A: client, APorts: bpf.PortRange{Lo: tagPort, Hi: tagPort + 7}, B: server, BPorts: bpf.Port(port)},
		{Proto: bpf.ProtoICMP, A: client},
	}, VXLANPort: bpf.DefaultVXLANPort}
}

// dialFrom connects from inside ns, bound to sport (0 = ephemeral).
func dialFrom(t *testing.T, ns *netnstest.NS, sport int, addr string) error {
	t.Helper()
	var conn net.Conn
	err := ns.Do(func() (err error) {
		d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{Port: sport}}
		conn, err = d.Dial("tcp", addr)
		return err
	})
	if conn != nil {
		_ = conn.Close()
	}
	return err
}

func TestCaptureAcrossNamespaces(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	server := p.Server.ListenTCP(t, p.ServerIP+":8080")
	client, srv := netip.MustParseAddr(p.ClientIP), netip.MustParseAddr(p.ServerIP)
	ifaces := []Interface{
		{Label: "client/eth0", Netns: "/run/netns/" + p.Client.Name, Ifname: "eth0"},
		{Label: "server/eth0", Netns: "/run/netns/" + p.Server.Name, Ifname: "eth0"},
	}
	s, err := Start(context.Background(), ifaces, Options{Filter: flowFilter(client, srv, 8080)})
	if err != nil {
		t.Fatal(err)
	}
	if err := dialFrom(t, p.Client, tagPort, server); err != nil {
		t.Fatalf("tagged connect: %v", err)
	}
	// Noise the kernel filter must drop: an untagged connect, a refused port, UDP.
	if err := dialFrom(t, p.Client, 0, server); err != nil {
		t.Fatalf("untagged connect: %v", err)
	}
	_ = dialFrom(t, p.Client, tagPort+1, p.ServerIP+":8081")
	p.Client.Do(func() error {
		c, err := net.Dial("udp", p.ServerIP+":9")
		if err == nil {
			_, _ = c.Write([]byte("noise"))
			_ = c.Close()
		}
		return nil
	})
	res := s.Stop()

	for _, ifc := range res.Interfaces {
		if ifc.Err != nil || ifc.Link != bpf.LinkEthernet || ifc.Packets == 0 || ifc.Dropped != 0 {
			t.Errorf("%s: %+v", ifc.Label, ifc)
		}
	}
	frames := res.Frames(0)
	if len(frames) != len(res.Packets) {
		t.Errorf("decoded %d of %d packets", len(frames), len(res.Packets))
	}
	for _, f := range frames {
		tagged := f.Proto == bpf.ProtoTCP && (f.SrcPort == tagPort || f.DstPort == tagPort)
		// The filter keeps ICMP to the client: the port unreachable the UDP noise caused.
		icmp := f.Proto == bpf.ProtoICMP && f.Dst == client && f.HasQuote && f.Quote.Proto == bpf.ProtoUDP
		if !tagged && !icmp {
			t.Errorf("the filter let through %s %s:%d -> %s:%d", What(f), f.Src, f.SrcPort, f.Dst, f.DstPort)
		}
	}
	got := Correlate(frames, []HopRef{{"client/eth0", "client"}, {"server/eth0", "server"}},
		[]Probe{{Proto: bpf.ProtoTCP, Src: client, SrcPort: tagPort, Outcome: "ok"}})[0]
	if len(got.Seen) != 4 || got.LastHop != "server/eth0" || got.Reply == nil || got.Reply.Kind != ReplySYNACK {
		t.Fatalf("correlated %+v reply %+v", got.Seen, got.Reply)
	}

	var buf bytes.Buffer
	if err := res.WritePcapNG(&buf, bpf.DefaultSnapLen); err != nil {
		t.Fatal(err)
	}
	names, n := readPcapNG(t, buf.Bytes())
	if strings.Join(names, ",") != "client/eth0,server/eth0" || n != len(res.Packets) {
		t.Errorf("pcapng interfaces %v with %d packets, want 2 interfaces and %d packets", names, n, len(res.Packets))
	}
}

// readPcapNG returns the interface names and the packet count of a pcapng file.
func readPcapNG(t *testing.T, data []byte) ([]string, int) {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("pcapng reader: %v", err)
	}
	n := 0
	for {
		_, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("pcapng packet %d: %v", n, err)
		}
		n++
	}
	var names []string
	for i := range r.NInterfaces() {
		ifc, _ := r.Interface(i)
		names = append(names, ifc.Name)
	}
	return names, n
}

// A tun device has no link header: the capture reads it cooked, from the IP
// header, and the filter runs in its L3 form. The test plays the far end of the
// tun: it writes a tagged SYN into the device, and the local stack answers RST
// (nothing listens), which leaves by the same device.
func TestCaptureCookedTun(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	ns := netnstest.New(t)
	ns.IP(t, "tuntap", "add", "mode", "tun", "name", "tn0")
	ns.IP(t, "addr", "add", "10.254.0.1/24", "dev", "tn0")
	tun := openTun(t, ns, "tn0")
	ns.IP(t, "link", "set", "tn0", "up")

	local, peer := netip.MustParseAddr("10.254.0.1"), netip.MustParseAddr("10.254.0.2")
	s, err := Start(context.Background(), []Interface{{Label: "tun", Netns: "/run/netns/" + ns.Name, Ifname: "tn0"}},
		Options{Filter: flowFilter(peer, local, 8080)})
	if err != nil {
		t.Fatal(err)
	}
	write := func(frame []byte) {
		if _, err := tun.Write(bt.L3(frame)); err != nil {
			t.Fatalf("write to tun: %v", err)
		}
	}
	write(bt.TCP(t, "10.254.0.2", "10.254.0.1", tagPort, 8080))
	write(bt.TCP(t, "10.254.0.2", "10.254.0.1", tagPort, 22)) // not the flow
	write(bt.UDP(t, "10.254.0.2", "10.254.0.1", 5000, 8080, nil))
	time.Sleep(20 * time.Millisecond) // let the stack answer before stopping
	res := s.Stop()

	if ifc := res.Interfaces[0]; ifc.Err != nil || ifc.Link != bpf.LinkIP {
		t.Fatalf("tun: %+v", ifc)
	}
	frames := res.Frames(0)
	got := Correlate(frames, []HopRef{{"tun", "ns"}}, []Probe{{Proto: bpf.ProtoTCP, Src: peer, SrcPort: tagPort}})[0]
	if got.Reply == nil || got.Reply.Kind != ReplyRST || got.Reply.TTL != 64 || len(got.Seen) != 2 {
		t.Fatalf("probe %+v reply %+v", got.Seen, got.Reply)
	}
	// SYN and RST of the flow, and the port unreachable for the UDP datagram
	// (ICMP to the peer is kept); not the SYN to port 22 nor its RST.
	var whats []string
	for _, f := range frames {
		whats = append(whats, What(f))
	}
	if strings.Join(whats, ",") != "SYN,RST-ACK,icmp dest-unreachable/port" {
		t.Fatalf("captured %v", whats)
	}
	var buf bytes.Buffer
	if err := res.WritePcapNG(&buf, 0); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.DefaultNgReaderOptions)
	if err != nil || r.LinkType() != layers.LinkTypeRaw {
		t.Fatalf("pcapng link type %v (err %v), want raw IP", r.LinkType(), err)
	}
}

// openTun attaches to the persistent tun device name inside ns.
func openTun(t *testing.T, ns *netnstest.NS, name string) *os.File {
	t.Helper()
	var f *os.File
	err := ns.Do(func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return err
		}
		f = os.NewFile(uintptr(fd), "tun")
		return nil
	})
	if err != nil {
		t.Skipf("tun device unavailable: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestCaptureReportsUnopenableInterfaces(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPair(t)
	f := flowFilter(netip.MustParseAddr(p.ClientIP), netip.MustParseAddr(p.ServerIP), 8080)
	s, err := Start(context.Background(), []Interface{
		{Label: "ok", Netns: "/run/netns/" + p.Client.Name, Ifname: "eth0"},
		{Label: "missing", Netns: "/run/netns/" + p.Client.Name, Ifname: "nope0"},
		{Label: "no-netns", Netns: "/run/netns/does-not-exist", Ifname: "eth0"},
	}, Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Stop()
	if res.Interfaces[0].Err != nil || res.Interfaces[1].Err == nil || res.Interfaces[2].Err == nil {
		t.Fatalf("errors: %v / %v / %v", res.Interfaces[0].Err, res.Interfaces[1].Err, res.Interfaces[2].Err)
	}
	if _, err := Start(context.Background(), []Interface{{Label: "missing", Netns: "/run/netns/" + p.Client.Name, Ifname: "nope0"}},
		Options{Filter: f}); err == nil {
		t.Fatal("Start succeeded with no interface to capture")
	}
}
