//go:build linux

package trace

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/tcp"
)

// send fires every probe from the source namespace and returns them as tags
// with the outcome the sender saw.
func send(ctx context.Context, s *traceSpec) ([]capture.Probe, error) {
	ns, err := openNetns(s.source)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	if s.proto == v1alpha1.TraceICMP {
		return sendEchoes(ctx, s, ns.Do)
	}
	return sendSYNs(ctx, s, ns.Do), nil
}

// sendSYNs connects once per tag port, all at once: a normal connect bound to
// the port, so the kernel's own SYN (and its retransmissions) is the probe.
func sendSYNs(ctx context.Context, s *traceSpec, enter func(func() error) error) []capture.Probe {
	out := make([]capture.Probe, s.count)
	addr := s.dstString()
	var wg sync.WaitGroup
	for i := range s.count {
		port := s.firstPort + i
		out[i] = capture.Probe{Proto: bpf.ProtoTCP, Src: s.src, SrcPort: uint16(port)}
		wg.Go(func() {
			var conn net.Conn
			err := enter(func() (err error) {
				d := net.Dialer{Timeout: s.timeout, LocalAddr: &net.TCPAddr{IP: s.src.AsSlice(), Port: port}, Control: reuseAddr}
				conn, err = d.DialContext(ctx, "tcp", addr)
				return err
			})
			if err != nil {
				outcome, errno := tcp.Classify(err)
				out[i].Outcome = string(outcome)
				if outcome == v1alpha1.TCPError {
					out[i].Outcome += " (" + errno + ")"
				}
				return
			}
			_ = conn.Close()
			out[i].Outcome = string(v1alpha1.TCPOK)
		})
	}
	wg.Wait()
	return out
}

// reuseAddr lets a tag port be bound again while an earlier trace's connection
// on it sits in TIME_WAIT.
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1) })
	return errors.Join(err, serr)
}

// sendEchoes sends Count echo requests on a raw ICMP socket opened in the
// source namespace and waits for their replies or errors. Each payload carries
// a marker, so the capture recognises an echo whose id NAT rewrote.
func sendEchoes(ctx context.Context, s *traceSpec, enter func(func() error) error) ([]capture.Probe, error) {
	var conn *icmp.PacketConn
	if err := enter(func() (err error) { conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0"); return err }); err != nil {
		return nil, fmt.Errorf("raw icmp socket: %w", err)
	}
	defer conn.Close()
	out := make([]capture.Probe, s.count)
	dst := &net.IPAddr{IP: s.dst.AsSlice()}
	for i := range s.count {
		seq := uint16(i + 1)
		marker := echoMarker(s.icmpID, seq)
		out[i] = capture.Probe{Proto: bpf.ProtoICMP, Src: s.src, ICMPID: s.icmpID, ICMPSeq: seq, Marker: marker, Outcome: "timeout"}
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: int(s.icmpID), Seq: int(seq), Data: marker}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return nil, fmt.Errorf("marshal echo: %w", err)
		}
		if _, err := conn.WriteTo(b, dst); err != nil {
			out[i].Outcome = "error (" + err.Error() + ")"
		}
	}
	awaitEchoes(ctx, conn, s, out)
	return out, nil
}

// awaitEchoes reads until every echo is answered or the probe timeout passes.
func awaitEchoes(ctx context.Context, conn *icmp.PacketConn, s *traceSpec, out []capture.Probe) {
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetReadDeadline(deadline)
	pending := len(out)
	buf := make([]byte, 1500)
	for pending > 0 {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return // deadline: the rest timed out
		}
		msg, err := icmp.ParseMessage(1, buf[:n])
		if err != nil {
			continue
		}
		seq, outcome := echoAnswer(msg, s.icmpID)
		if seq == 0 || int(seq) > len(out) || out[seq-1].Outcome != "timeout" {
			continue
		}
		out[seq-1].Outcome = outcome
		pending--
	}
}

// echoAnswer returns the sequence number msg answers (0 if none of ours) and
// the outcome: "reply" or "error (<what>)".
func echoAnswer(msg *icmp.Message, id uint16) (uint16, string) {
	switch body := msg.Body.(type) {
	case *icmp.Echo:
		if msg.Type == ipv4.ICMPTypeEchoReply && body.ID == int(id) {
			return uint16(body.Seq), "reply"
		}
	case *icmp.DstUnreach:
		return quotedEcho(body.Data, id, fmt.Sprintf("error (%v code %d)", msg.Type, msg.Code))
	case *icmp.TimeExceeded:
		return quotedEcho(body.Data, id, "error (time exceeded)")
	}
	return 0, ""
}

func quotedEcho(data []byte, id uint16, outcome string) (uint16, string) {
	q, ok := capture.ParseQuote(data)
	if !ok || q.Proto != bpf.ProtoICMP || q.ICMPID != id {
		return 0, ""
	}
	return q.ICMPSeq, outcome
}
