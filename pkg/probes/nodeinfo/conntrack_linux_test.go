//go:build linux

package nodeinfo

import (
	"encoding/binary"
	"net"
	"syscall"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Conntrack is per network namespace: the table, its count and its counters.
// A namespace that tracked a connection and an invalid packet shows them; a
// second, idle one shows nothing, and both show the machine-wide max.
func TestSnapshotReadsTheNamespacesOwnConntrack(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	busy, idle := netnstest.New(t), netnstest.New(t)
	for _, ns := range []*netnstest.NS{busy, idle} {
		// A rule that uses conntrack makes the kernel track the namespace.
		ns.IPTables(t, "-A", "INPUT", "-m", "conntrack", "--ctstate", "INVALID", "-j", "ACCEPT")
	}
	addr := busy.ListenTCP(t, "127.0.0.1:0")
	var conn net.Conn
	if err := busy.Do(func() (err error) { conn, err = net.Dial("tcp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := busy.Do(sendInvalidTCP); err != nil {
		t.Fatal(err)
	}

	b := snapshot(t, "/run/netns/"+busy.Name, v1alpha1.NodeInfoSpec{}).NodeInfo.Conntrack
	i := snapshot(t, "/run/netns/"+idle.Name, v1alpha1.NodeInfoSpec{}).NodeInfo.Conntrack
	if b == nil || i == nil {
		t.Fatalf("conntrack busy %+v, idle %+v: want both read", b, i)
	}
	if b.Count < 1 || b.Invalid < 1 {
		t.Errorf("busy namespace: %+v, want the connection counted and the SYN+FIN segment invalid", *b)
	}
	if i.Count != 0 || i.Invalid != 0 || i.Drop != 0 {
		t.Errorf("idle namespace: %+v, want an empty table and no failures", *i)
	}
	if b.Max < 1 || b.Max != i.Max {
		t.Errorf("max %d and %d: nf_conntrack_max is one value for the machine", b.Max, i.Max)
	}
}

// sendInvalidTCP sends a TCP segment with SYN and FIN set to 127.0.0.1, a
// flag combination conntrack counts as invalid.
func sendInvalidTCP() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_TCP)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	seg := make([]byte, 20)
	binary.BigEndian.PutUint16(seg[0:], 40000) // source port
	binary.BigEndian.PutUint16(seg[2:], 9)     // destination port (discard)
	binary.BigEndian.PutUint32(seg[4:], 1)     // sequence number
	seg[12] = 5 << 4                           // data offset: 5 words, no options
	seg[13] = 0x01 | 0x02                      // FIN | SYN
	binary.BigEndian.PutUint16(seg[14:], 1024) // window
	binary.BigEndian.PutUint16(seg[16:], tcpChecksum(seg, [4]byte{127, 0, 0, 1}, [4]byte{127, 0, 0, 1}))
	return syscall.Sendto(fd, seg, 0, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
}

// tcpChecksum is the internet checksum over the IPv4 pseudo-header and seg.
func tcpChecksum(seg []byte, src, dst [4]byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	add([]byte{0, syscall.IPPROTO_TCP, byte(len(seg) >> 8), byte(len(seg))})
	add(seg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
