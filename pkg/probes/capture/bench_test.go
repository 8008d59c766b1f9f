//go:build linux

package capture

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	bt "github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf/bpftest"
)

// BenchmarkCaptureDecodeVeth measures the capture path end to end on a real
// veth: b.N generated frames are injected on one end (AF_PACKET), captured on
// the other through the BPF filter and the TPACKET_V3 ring, copied out and
// decoded. ns/op and allocs/op are per packet; pkts/s is what was captured
// and decoded per second; lost counts frames the ring dropped.
//
// The frames are addressed to nothing the namespace owns, so the stack drops
// them silently and no answer doubles the load.
func BenchmarkCaptureDecodeVeth(b *testing.B) {
	netnstest.SkipUnlessRoot(b)
	src, dst := "10.99.0.1", "10.99.0.2"
	plain := bt.TCP(b, src, dst, 61000, 8080)
	for _, bc := range []struct {
		name  string
		frame []byte
	}{
		{"plain", plain},
		{"vxlan", bt.VXLAN(b, plain, "10.99.1.1", "10.99.1.2", bpf.DefaultVXLANPort)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := netnstest.NewPair(b)
			filter := bpf.Filter{Terms: []bpf.Term{{Proto: bpf.ProtoTCP, A: netip.MustParseAddr(src),
				APorts: bpf.PortRange{Lo: 61000, Hi: 61007}}}, VXLANPort: bpf.DefaultVXLANPort}
			inject := injector(b, p.Client)
			s, err := Start(context.Background(), []Interface{{Label: "server/eth0", Netns: "/run/netns/" + p.Server.Name, Ifname: "eth0"}},
				Options{Filter: filter, MaxPackets: b.N, NumBlocks: 64})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := unix.Write(inject, bc.frame); err != nil {
					b.Fatalf("inject: %v", err)
				}
			}
			res := s.Stop()
			frames := res.Frames(0)
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(len(frames))/elapsed.Seconds(), "pkts/s")
			b.ReportMetric(float64(b.N-len(frames)), "lost")
			if len(frames) == 0 {
				b.Fatal("nothing captured")
			}
		})
	}
}

// injector opens an AF_PACKET socket on eth0 inside ns for writing whole frames.
func injector(b *testing.B, ns *netnstest.NS) int {
	b.Helper()
	fd := -1
	err := ns.Do(func() error {
		ifc, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0) // protocol 0: send only
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifc.Index, Protocol: htons(unix.ETH_P_IP)})
	})
	if err != nil {
		b.Fatalf("injector: %v", err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	return fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// BenchmarkDecode is the decode step alone, on a VXLAN-encapsulated SYN.
func BenchmarkDecode(b *testing.B) {
	inner := bt.TCP(b, "10.0.1.5", "10.0.2.7", 61000, 8080, func(_ *layers.IPv4, tcp *layers.TCP) { tcp.ACK = true })
	p := pkt(bt.VXLAN(b, inner, "192.0.2.1", "192.0.2.2", bpf.DefaultVXLANPort))
	d := NewDecoder(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Decode(p, bpf.LinkEthernet); !ok {
			b.Fatal("not decoded")
		}
	}
}
