//go:build linux

package icmp

import (
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
)

// After a frag-needed the kernel caches the path MTU, and the next oversized
// send fails locally: Echo must read the enforced MTU (ee_info of the local
// IP_RECVERR entry) rather than report a bare EMSGSIZE.
func TestLocalEMSGSIZECarriesCachedMTU(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPath(t, 0, 1400)
	dst := net.ParseIP(p.ServerIP).To4()
	err := p.Client.Do(func() error {
		s, err := Open()
		if err != nil {
			return err
		}
		defer s.Close()
		if r := s.Echo(dst, 1500, time.Second); r.Kind != "frag-needed" || r.MTU != 1400 || r.From != p.RouterClientIP {
			t.Errorf("first echo of 1500: %+v", r)
		}
		if r := s.Echo(dst, 1500, time.Second); r.Kind != "emsgsize" || r.MTU != 1400 {
			t.Errorf("second echo of 1500 (cached path MTU): %+v", r)
		}
		if r := s.Echo(dst, 1400, time.Second); r.Kind != "ok" {
			t.Errorf("echo of 1400: %+v", r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The frag-needed must surface through both channels a raw socket has: the
// socket error EMSGSIZE plus an IP_RECVERR queue entry (hop MTU in ee_info, the
// hop as offender, our echo header as payload), and the ICMP message itself
// with the MTU in bytes 6-7. Sent by hand so Echo's logic does not consume them.
func TestFragNeededSignalsRaw(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	p := netnstest.NewPath(t, 0, 1400)
	err := p.Client.Do(func() error {
		s, err := Open()
		if err != nil {
			return err
		}
		defer s.Close()
		wire := echoWire(t, s.id, 42, 1500)
		if _, err := s.conn.WriteTo(wire, &net.IPAddr{IP: net.ParseIP(p.ServerIP)}); err != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
		_ = s.conn.SetReadDeadline(time.Now().Add(time.Second))
		_, _, rerr := s.conn.ReadFrom(s.buf)
		if !errors.Is(rerr, unix.EMSGSIZE) {
			t.Errorf("first read: %v, want the socket error EMSGSIZE", rerr)
		}
		entries := s.drainErrQueue()
		var found bool
		for _, e := range entries {
			id, seq, ok := echoHeader(e.payload)
			if e.origin == unix.SO_EE_ORIGIN_ICMP && e.typ == 3 && e.code == codeFragNeeded && e.info == 1400 &&
				e.offender.String() == p.RouterClientIP && ok && id == s.id && seq == 42 {
				found = true
			}
		}
		if !found {
			t.Errorf("no frag-needed entry on the error queue: %+v", entries)
		}
		// The ICMP message itself is also delivered to the raw socket.
		n, from, err := s.conn.ReadFrom(s.buf)
		if err != nil {
			return err
		}
		r, ok := s.match(s.buf[:n], from.(*net.IPAddr).IP.String(), net.ParseIP(p.ServerIP), 42, time.Now())
		if !ok || r.Kind != "frag-needed" || r.MTU != 1400 || r.From != p.RouterClientIP {
			t.Errorf("ICMP message: %+v ok=%v", r, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func echoWire(t *testing.T, id, seq uint16, size int) []byte {
	t.Helper()
	b := make([]byte, size-ipv4HeaderLen)
	b[0] = 8 // echo request
	b[4], b[5] = byte(id>>8), byte(id)
	b[6], b[7] = byte(seq>>8), byte(seq)
	// No checksum: the router rejects the packet for its size before anyone
	// would verify it.
	return b
}
