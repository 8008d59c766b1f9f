package nsscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// A minimal rtnetlink reader for the scan's hot path. The vishvananda/netlink
// handle (netns.NetNS.NetlinkHandle) is the general tool; here every namespace
// costs two dumps, and the library's per-handle price (an open of the current
// namespace, a non-blocking socket registered with the poller, a 64 KiB buffer
// per receive, goroutine parking on every read) was most of the scan time on
// a loaded node. This reader uses a blocking socket on the scanning worker's
// own pinned thread, one reused buffer, and parses only the attributes the
// inventory needs.

// errDumpInterrupted: the table changed during the dump (NLM_F_DUMP_INTR); the
// data may be inconsistent, so the caller retries.
var errDumpInterrupted = errors.New("netlink dump interrupted")

var order = binary.NativeEndian

// nlaTypeMask strips NLA_F_NESTED and NLA_F_NET_BYTEORDER from an attribute type.
const nlaTypeMask = 0x3fff

// recvBufSize holds the largest message batch the kernel sends in one dump
// read (it caps them at 32 KiB).
const recvBufSize = 64 << 10

type rtnl struct {
	fd  int
	seq uint32
	buf []byte
}

type rawLink struct {
	Index, MTU, Master, Link int
	// LinkNetNSID is the nsid of the peer's namespace (veths), -1 when the peer
	// is in the same namespace or the link has none.
	LinkNetNSID int
	Name, Kind  string
	MAC         net.HardwareAddr
	Flags       uint32
}

type rawAddr struct {
	Index  int
	Prefix netip.Prefix
}

func (r *rtnl) close() { _ = unix.Close(r.fd) }

func (r *rtnl) links() ([]rawLink, error) {
	var out []rawLink
	err := r.retry(func() error {
		out = out[:0]
		body := linkDumpRequest()
		return r.roundTrip(unix.RTM_GETLINK, unix.NLM_F_DUMP, body, func(typ uint16, data []byte) {
			if typ == unix.RTM_NEWLINK {
				if l, ok := parseLink(data); ok {
					out = append(out, l)
				}
			}
		})
	})
	return out, err
}

// rtextFilterSkipStats (RTEXT_FILTER_SKIP_STATS, Linux 4.20+) asks the
// kernel to leave the interface counters out of a link dump: filling them
// (IFLA_STATS, IFLA_STATS64 and the per-CPU sums behind them) was the largest
// cost of the scan. Older kernels ignore the bit and send them anyway.
const rtextFilterSkipStats = 1 << 3

// linkDumpRequest is an AF_UNSPEC ifinfomsg (every link) with an
// IFLA_EXT_MASK attribute asking for no statistics.
func linkDumpRequest() []byte {
	body := make([]byte, unix.SizeofIfInfomsg+8)
	a := body[unix.SizeofIfInfomsg:]
	order.PutUint16(a[0:], 8)
	order.PutUint16(a[2:], unix.IFLA_EXT_MASK)
	order.PutUint32(a[4:], rtextFilterSkipStats)
	return body
}

func (r *rtnl) addrs() ([]rawAddr, error) {
	var out []rawAddr
	err := r.retry(func() error {
		out = out[:0]
		body := make([]byte, unix.SizeofIfAddrmsg)
		return r.roundTrip(unix.RTM_GETADDR, unix.NLM_F_DUMP, body, func(typ uint16, data []byte) {
			if typ == unix.RTM_NEWADDR {
				if a, ok := parseAddr(data); ok {
					out = append(out, a)
				}
			}
		})
	})
	return out, err
}

// nsid asks which nsid this socket's namespace uses for the namespace open at
// fd (RTM_GETNSID with NETNSA_FD); -1 when it has none.
func (r *rtnl) nsid(fd int) (int, error) {
	body := make([]byte, 4+8) // rtgenmsg (padded) + NETNSA_FD u32 attribute
	order.PutUint16(body[4:], 8)
	order.PutUint16(body[6:], unix.NETNSA_FD)
	order.PutUint32(body[8:], uint32(fd))
	id := -1
	err := r.roundTrip(unix.RTM_GETNSID, 0, body, func(typ uint16, data []byte) {
		if typ != unix.RTM_NEWNSID || len(data) < 4 {
			return
		}
		forAttrs(data[4:], func(t uint16, v []byte) {
			if t == unix.NETNSA_NSID && len(v) >= 4 {
				id = int(int32(order.Uint32(v)))
			}
		})
	})
	return id, err
}

func (r *rtnl) retry(fn func() error) error {
	var err error
	for range dumpRetries {
		if err = fn(); !errors.Is(err, errDumpInterrupted) {
			return err
		}
	}
	return err
}

// roundTrip sends one request and feeds every answer message to fn until the
// dump's NLMSG_DONE, an error, or (for a plain request) the single answer.
func (r *rtnl) roundTrip(typ, flags uint16, body []byte, fn func(typ uint16, data []byte)) error {
	r.seq++
	req := make([]byte, unix.NLMSG_HDRLEN+len(body))
	order.PutUint32(req[0:], uint32(len(req)))
	order.PutUint16(req[4:], typ)
	order.PutUint16(req[6:], unix.NLM_F_REQUEST|flags)
	order.PutUint32(req[8:], r.seq)
	copy(req[unix.NLMSG_HDRLEN:], body)
	if err := unix.Sendto(r.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	interrupted := false
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		b := r.buf[:n]
		for len(b) >= unix.NLMSG_HDRLEN {
			l := int(order.Uint32(b[0:]))
			mt, mf, seq := order.Uint16(b[4:]), order.Uint16(b[6:]), order.Uint32(b[8:])
			if l < unix.NLMSG_HDRLEN || l > len(b) {
				return fmt.Errorf("netlink: malformed message (len %d of %d)", l, len(b))
			}
			data := b[unix.NLMSG_HDRLEN:l]
			b = b[min(align4(l), len(b)):]
			if seq != r.seq {
				continue // a stale answer to an earlier request
			}
			if mf&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			switch mt {
			case unix.NLMSG_DONE:
				if interrupted {
					return errDumpInterrupted
				}
				return nil
			case unix.NLMSG_ERROR:
				if len(data) >= 4 {
					if errno := -int32(order.Uint32(data)); errno != 0 {
						return fmt.Errorf("netlink: %w", unix.Errno(errno))
					}
				}
				return nil
			default:
				fn(mt, data)
				if mf&unix.NLM_F_MULTI == 0 {
					return nil
				}
			}
		}
	}
}

func align4(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// forAttrs walks rtattr/nlattr TLVs.
func forAttrs(b []byte, fn func(typ uint16, val []byte)) {
	for len(b) >= 4 {
		l := int(order.Uint16(b[0:]))
		t := order.Uint16(b[2:]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return
		}
		fn(t, b[4:l])
		b = b[min(align4(l), len(b)):]
	}
}

// parseLink reads struct ifinfomsg and the attributes we report.
func parseLink(data []byte) (rawLink, bool) {
	if len(data) < unix.SizeofIfInfomsg {
		return rawLink{}, false
	}
	l := rawLink{
		Index:       int(int32(order.Uint32(data[4:]))),
		Flags:       order.Uint32(data[8:]),
		LinkNetNSID: -1,
	}
	forAttrs(data[unix.SizeofIfInfomsg:], func(t uint16, v []byte) {
		switch t {
		case unix.IFLA_IFNAME:
			l.Name = cString(v)
		case unix.IFLA_MTU:
			l.MTU = int(u32(v))
		case unix.IFLA_ADDRESS:
			l.MAC = net.HardwareAddr(append([]byte(nil), v...))
		case unix.IFLA_MASTER:
			l.Master = int(u32(v))
		case unix.IFLA_LINK:
			l.Link = int(u32(v))
		case unix.IFLA_LINK_NETNSID:
			l.LinkNetNSID = int(int32(u32(v)))
		case unix.IFLA_LINKINFO:
			forAttrs(v, func(t uint16, v []byte) {
				if t == unix.IFLA_INFO_KIND {
					l.Kind = cString(v)
				}
			})
		}
	})
	if l.Kind == "" {
		l.Kind = "device" // what netlink and ip call a link with no driver kind (lo, physical NICs)
	}
	return l, l.Name != ""
}

// parseAddr reads struct ifaddrmsg and the address. IFA_LOCAL is the
// interface's own address; IFA_ADDRESS is the peer's on point-to-point links
// and the same as IFA_LOCAL otherwise, so LOCAL wins when present.
func parseAddr(data []byte) (rawAddr, bool) {
	if len(data) < unix.SizeofIfAddrmsg {
		return rawAddr{}, false
	}
	bits := int(data[1])
	a := rawAddr{Index: int(order.Uint32(data[4:]))}
	var local, address netip.Addr
	forAttrs(data[unix.SizeofIfAddrmsg:], func(t uint16, v []byte) {
		ip, ok := netip.AddrFromSlice(v)
		if !ok {
			return
		}
		switch t {
		case unix.IFA_LOCAL:
			local = ip
		case unix.IFA_ADDRESS:
			address = ip
		}
	})
	ip := local
	if !ip.IsValid() {
		ip = address
	}
	if !ip.IsValid() {
		return rawAddr{}, false
	}
	a.Prefix = netip.PrefixFrom(ip, bits)
	return a, a.Prefix.IsValid()
}

func u32(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return order.Uint32(v)
}

func cString(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}
