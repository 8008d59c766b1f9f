//go:build linux

package icmp

import (
	"net"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// queuedError is one entry of the socket's error queue (IP_RECVERR): a
// sock_extended_err, the offender address and the start of the offending packet.
type queuedError struct {
	errno    unix.Errno
	origin   uint8
	typ      uint8
	code     uint8
	info     uint32 // the MTU for EMSGSIZE / frag-needed
	offender net.IP
	payload  []byte // for ICMP-origin errors on a raw socket: our echo header
}

// reply turns an ICMP-origin entry about our (id, seq) echo into a Reply.
func (e queuedError) reply(id, seq uint16, start time.Time) (Reply, bool) {
	if e.origin != unix.SO_EE_ORIGIN_ICMP {
		return Reply{}, false
	}
	if qid, qseq, ok := echoHeader(e.payload); !ok || qid != id || qseq != seq {
		return Reply{}, false
	}
	from := ""
	if e.offender != nil {
		from = e.offender.String()
	}
	if e.typ == 3 && e.code == codeFragNeeded {
		return Reply{Kind: "frag-needed", MTU: int(e.info), From: from, RTT: time.Since(start)}, true
	}
	return Reply{Kind: "error", From: from, Detail: icmpErrorText(e.typ, e.code) + " from " + from}, true
}

// drainErrQueue reads every pending error-queue entry without blocking.
func (s *Socket) drainErrQueue() []queuedError {
	var out []queuedError
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	for range 64 { // bounded: the queue is small, and a loop must end
		var n, oobn int
		var rerr error
		err := s.raw.Read(func(fd uintptr) bool {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			return true // never wait: an empty queue ends the drain
		})
		if err != nil || rerr != nil {
			return out
		}
		if e, ok := parseErrQueue(buf[:n], oob[:oobn]); ok {
			out = append(out, e)
		}
	}
	return out
}

// sockExtendedErrLen is sizeof(struct sock_extended_err); the offender
// sockaddr (SO_EE_OFFENDER) follows it in the same control message.
const sockExtendedErrLen = int(unsafe.Sizeof(unix.SockExtendedErr{}))

// parseErrQueue decodes the IP_RECVERR control message of one error-queue read.
func parseErrQueue(payload, oob []byte) (queuedError, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return queuedError{}, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.IPPROTO_IP || m.Header.Type != unix.IP_RECVERR || len(m.Data) < sockExtendedErrLen {
			continue
		}
		ee := (*unix.SockExtendedErr)(unsafe.Pointer(&m.Data[0]))
		e := queuedError{errno: unix.Errno(ee.Errno), origin: ee.Origin, typ: ee.Type, code: ee.Code, info: ee.Info,
			payload: append([]byte(nil), payload...)}
		// SO_EE_OFFENDER: a sockaddr_in right after the struct; AF_UNSPEC when
		// the kernel knows no offender (local errors).
		if off := m.Data[sockExtendedErrLen:]; len(off) >= unix.SizeofSockaddrInet4 {
			sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&off[0]))
			if sa.Family == unix.AF_INET {
				e.offender = net.IP(append([]byte(nil), sa.Addr[:]...))
			}
		}
		return e, true
	}
	return queuedError{}, false
}
