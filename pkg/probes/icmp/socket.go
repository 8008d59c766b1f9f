//go:build linux

package icmp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// Header sizes that turn a whole IP packet size into an echo payload size.
const (
	ipv4HeaderLen = 20
	icmpHeaderLen = 8
	// MinPacket is the smallest packet the sweep tries: the IPv4 minimum MTU.
	MinPacket = 68
	// MaxPacket is the largest IPv4 packet.
	MaxPacket = 65535
)

// echoIDs hands every check its own ICMP echo identifier, starting at a random
// point so two probe processes in one netns rarely collide: raw sockets see every
// ICMP packet of the netns, and the ID is how a check tells its replies apart.
var echoIDs atomic.Uint32

func init() { echoIDs.Store(rand.Uint32()) }

// Reply is what came back for one echo request.
type Reply struct {
	// Kind is "ok", "timeout", "frag-needed", "emsgsize" or "error".
	Kind string
	RTT  time.Duration
	// MTU is the next-hop MTU of a frag-needed, or the MTU the local stack
	// enforced for an emsgsize.
	MTU int
	// From is the address that answered (the echo target, or the hop that sent
	// the ICMP error).
	From string
	// Detail describes an error ("host unreachable from 10.0.0.1").
	Detail string
}

// Socket is a raw ip4:icmp socket with DF set on every packet
// (IP_PMTUDISC_DO) and IP_RECVERR, so oversized packets fail loudly: either
// locally with EMSGSIZE or with a hop's ICMP fragmentation-needed.
type Socket struct {
	conn *net.IPConn
	raw  syscall.RawConn
	id   uint16
	seq  uint16
	buf  []byte
}

// Open opens the socket in the calling thread's network namespace (needs
// CAP_NET_RAW). The socket stays in that namespace whatever thread uses it later.
func Open() (*Socket, error) {
	conn, err := net.ListenIP("ip4:icmp", &net.IPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, fmt.Errorf("open raw ICMP socket (needs CAP_NET_RAW): %w", err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("raw ICMP socket: %w", err)
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DO); serr != nil {
			serr = fmt.Errorf("set IP_MTU_DISCOVER=IP_PMTUDISC_DO: %w", serr)
			return
		}
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1); serr != nil {
			serr = fmt.Errorf("set IP_RECVERR: %w", serr)
		}
	})
	if err = errors.Join(err, serr); err != nil {
		conn.Close()
		return nil, err
	}
	return &Socket{conn: conn, raw: raw, id: uint16(echoIDs.Add(1)), buf: make([]byte, MaxPacket)}, nil
}

// Close closes the socket.
func (s *Socket) Close() error { return s.conn.Close() }

// Echo sends one echo request of size bytes (whole IP packet) to dst and waits
// up to timeout for the matching reply or ICMP error.
func (s *Socket) Echo(dst net.IP, size int, timeout time.Duration) Reply {
	s.drainErrQueue() // errors left over from an earlier probe must not be read as this one's
	s.seq++
	seq := s.seq
	payload := make([]byte, max(size-ipv4HeaderLen-icmpHeaderLen, 0))
	for i := range payload {
		payload[i] = byte(i)
	}
	msg := xicmp.Message{Type: ipv4.ICMPTypeEcho, Body: &xicmp.Echo{ID: int(s.id), Seq: int(seq), Data: payload}}
	wire, err := msg.Marshal(nil)
	if err != nil {
		return Reply{Kind: "error", Detail: fmt.Sprintf("marshal echo: %v", err)}
	}
	start := time.Now()
	if _, err := s.conn.WriteTo(wire, &net.IPAddr{IP: dst}); err != nil {
		if errors.Is(err, unix.EMSGSIZE) {
			// The local stack refused: the size is above the interface MTU or
			// the route's cached path MTU. IP_RECVERR queued the MTU it enforced.
			r := Reply{Kind: "emsgsize", Detail: "local EMSGSIZE"}
			for _, e := range s.drainErrQueue() {
				if e.origin == unix.SO_EE_ORIGIN_LOCAL && e.errno == unix.EMSGSIZE {
					r.MTU = int(e.info)
				}
			}
			return r
		}
		return Reply{Kind: "error", Detail: fmt.Sprintf("send echo to %s: %v", dst, err)}
	}
	return s.await(dst, seq, start, timeout)
}

// await reads until the reply or an ICMP error for (id, seq) arrives, or timeout.
func (s *Socket) await(dst net.IP, seq uint16, start time.Time, timeout time.Duration) Reply {
	if err := s.conn.SetReadDeadline(start.Add(timeout)); err != nil {
		return Reply{Kind: "error", Detail: fmt.Sprintf("set read deadline: %v", err)}
	}
	for {
		n, from, err := s.conn.ReadFrom(s.buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return Reply{Kind: "timeout"}
			}
			var errno syscall.Errno
			if !errors.As(err, &errno) {
				return Reply{Kind: "error", Detail: fmt.Sprintf("read ICMP: %v", err)}
			}
			// An ICMP error set the socket error (IP_RECVERR): the details are
			// on the error queue. It may belong to another check's echo.
			for _, e := range s.drainErrQueue() {
				if r, ok := e.reply(s.id, seq, start); ok {
					return r
				}
			}
			continue
		}
		src := ""
		if ip, ok := from.(*net.IPAddr); ok {
			src = ip.IP.String()
		}
		if r, ok := s.match(s.buf[:n], src, dst, seq, start); ok {
			return r
		}
	}
}

// match interprets one received ICMP message (IP header already stripped).
func (s *Socket) match(b []byte, src string, dst net.IP, seq uint16, start time.Time) (Reply, bool) {
	if len(b) < icmpHeaderLen {
		return Reply{}, false
	}
	switch b[0] {
	case byte(ipv4.ICMPTypeEchoReply):
		m, err := xicmp.ParseMessage(1, b)
		if err != nil {
			return Reply{}, false
		}
		echo, ok := m.Body.(*xicmp.Echo)
		if !ok || echo.ID != int(s.id) || echo.Seq != int(seq) || src != dst.String() {
			return Reply{}, false
		}
		return Reply{Kind: "ok", RTT: time.Since(start), From: src}, true
	case byte(ipv4.ICMPTypeDestinationUnreachable), byte(ipv4.ICMPTypeTimeExceeded):
		// Bytes 8.. quote the offending packet: its IP header, then at least the
		// 8 bytes of our echo header with its id and sequence.
		if id, qseq, ok := quotedEcho(b[icmpHeaderLen:]); !ok || id != s.id || qseq != seq {
			return Reply{}, false
		}
		if b[0] == byte(ipv4.ICMPTypeDestinationUnreachable) && b[1] == codeFragNeeded {
			// RFC 1191: the next-hop MTU sits in bytes 6-7 of the ICMP header.
			return Reply{Kind: "frag-needed", MTU: int(binary.BigEndian.Uint16(b[6:8])), From: src, RTT: time.Since(start)}, true
		}
		return Reply{Kind: "error", From: src, Detail: icmpErrorText(b[0], b[1]) + " from " + src}, true
	}
	return Reply{}, false
}

// codeFragNeeded is ICMP destination-unreachable code 4, "fragmentation needed and DF set".
const codeFragNeeded = 4

// quotedEcho extracts id and sequence of the echo request quoted in an ICMP error.
func quotedEcho(quote []byte) (id, seq uint16, ok bool) {
	if len(quote) < ipv4HeaderLen {
		return 0, 0, false
	}
	ihl := int(quote[0]&0x0f) * 4
	if quote[9] != unix.IPPROTO_ICMP || len(quote) < ihl+icmpHeaderLen {
		return 0, 0, false
	}
	return echoHeader(quote[ihl:])
}

// echoHeader reads id and sequence from an echo request header.
func echoHeader(h []byte) (id, seq uint16, ok bool) {
	if len(h) < icmpHeaderLen || h[0] != byte(ipv4.ICMPTypeEcho) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(h[4:6]), binary.BigEndian.Uint16(h[6:8]), true
}

// icmpErrorText names an ICMP error like ping does.
func icmpErrorText(typ, code byte) string {
	if typ == byte(ipv4.ICMPTypeTimeExceeded) {
		return "time to live exceeded"
	}
	switch code {
	case 0:
		return "net unreachable"
	case 1:
		return "host unreachable"
	case 2:
		return "protocol unreachable"
	case 3:
		return "port unreachable"
	case 9, 10, 13:
		return "administratively prohibited"
	}
	return fmt.Sprintf("destination unreachable (code %d)", code)
}
