// Package h2rpc is a minimal unary gRPC client over a unix socket: HTTP/2
// with prior knowledge (h2c) framed by hand, HPACK from x/net/http2/hpack,
// messages as opaque protobuf bytes. It exists so the probe can talk CRI to
// the container runtime without grpc-go and net/http, which would double the
// probe's size. One call runs at a time per connection; flow control, PING,
// SETTINGS, GOAWAY and RST_STREAM are handled as the protocol requires.
package h2rpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2/hpack"
)

// Defaults of a zero Dialer.
const (
	// DefaultWindow is the receive window advertised for the connection and
	// each stream: large, so a big ListPodSandbox streams with few updates.
	DefaultWindow = 4 << 20
	// DefaultMaxMessage matches the kubelet's CRI client: ListPodSandbox on a
	// busy node exceeds gRPC's 4 MiB default.
	DefaultMaxMessage = 16 << 20
)

// Dialer configures a connection.
type Dialer struct {
	// Window is the receive window for the connection and each stream;
	// 0 means DefaultWindow. Updates go out when half of it is used.
	Window uint32
	// MaxMessage bounds one response message; 0 means DefaultMaxMessage.
	MaxMessage int
}

// Conn is one HTTP/2 connection to a gRPC server.
type Conn struct {
	mu   sync.Mutex // one call at a time
	nc   net.Conn
	br   *bufio.Reader
	rbuf []byte
	wbuf []byte

	enc    *hpack.Encoder
	encBuf bytes.Buffer
	dec    *hpack.Decoder

	window, maxMessage int
	nextStream         uint32
	// What the server allows us to send.
	peerMaxFrame      uint32
	peerInitialWindow int64
	connSendWindow    int64
	// Receive-side flow control: bytes taken from the connection window since
	// the last WINDOW_UPDATE for it.
	connUnacked int
	// goAway is the server's last accepted stream once it sent GOAWAY;
	// streams above it will not be served.
	goAway *uint32
	// broken is set when the connection can no longer carry calls.
	broken error
}

// Dial connects to the gRPC server on the unix socket path with the zero Dialer.
func Dial(ctx context.Context, path string) (*Conn, error) { return Dialer{}.Dial(ctx, path) }

// Dial connects, sends the connection preface and SETTINGS, and waits for the
// server's SETTINGS, so a socket that does not speak HTTP/2 fails here.
func (d Dialer) Dial(ctx context.Context, path string) (*Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, statusf(Unavailable, err, "dial %s: %v", path, err)
	}
	c := &Conn{
		nc: nc, br: bufio.NewReaderSize(nc, 64<<10),
		window: int(d.Window), maxMessage: d.MaxMessage, nextStream: 1,
		peerMaxFrame: defaultMaxFrame, peerInitialWindow: defaultWindow, connSendWindow: defaultWindow,
	}
	if c.window == 0 {
		c.window = DefaultWindow
	}
	if c.maxMessage == 0 {
		c.maxMessage = DefaultMaxMessage
	}
	c.enc = hpack.NewEncoder(&c.encBuf)
	c.dec = hpack.NewDecoder(4096, nil)
	c.dec.SetMaxStringLength(c.maxMessage)
	if err := c.handshake(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *Conn) handshake(ctx context.Context) error {
	stop := c.watch(ctx)
	defer stop()
	var settings []byte
	settings = appendSetting(settings, settingEnablePush, 0)
	settings = appendSetting(settings, settingInitialWindowSize, uint32(c.window))
	b := append([]byte(clientPreface), appendFrame(nil, frameSettings, 0, 0, settings)...)
	if c.window > defaultWindow {
		// The connection window starts at 65535 whatever SETTINGS says.
		b = appendWindowUpdate(b, 0, uint32(c.window-defaultWindow))
	}
	if _, err := c.nc.Write(b); err != nil {
		return c.transportError(ctx, "send HTTP/2 preface", err)
	}
	// The server's preface is a SETTINGS frame; anything else is not HTTP/2.
	f, err := readFrame(c.br, &c.rbuf, defaultMaxFrame)
	if err != nil {
		if peek, _ := c.br.Peek(c.br.Buffered()); ctx.Err() == nil && len(peek) > 0 {
			err = fmt.Errorf("%w; it sent %q", err, truncate(peek, 40))
		}
		return c.transportError(ctx, "read the server's HTTP/2 SETTINGS", err)
	}
	if f.typ != frameSettings || f.has(flagAck) {
		return statusf(Unavailable, nil, "not an HTTP/2 server: first frame is type %d, not SETTINGS (is this a gRPC socket?)", f.typ)
	}
	return c.handleFrame(f)
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// watch applies ctx to the socket: its deadline as the I/O deadline, and its
// cancellation by expiring the deadline at once. The returned stop clears both.
func (c *Conn) watch(ctx context.Context) func() {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
	}
	stopAfter := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stopAfter()
		_ = c.nc.SetDeadline(time.Time{})
	}
}

// transportError is a failed read or write: the connection is now in an
// unknown state mid-frame, so it is marked broken. A context that ended
// explains the failure better than the I/O timeout it caused.
func (c *Conn) transportError(ctx context.Context, what string, err error) error {
	var st *Status
	ctxErr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		// The socket deadline is the context's: it may fire a hair before
		// the context's own timer does.
		ctxErr = context.DeadlineExceeded
	}
	switch {
	case ctxErr != nil:
		code := DeadlineExceeded
		if errors.Is(ctxErr, context.Canceled) {
			code = Canceled
		}
		st = statusf(code, ctxErr, "%s: %v", what, ctxErr)
	default:
		st = statusf(Unavailable, err, "%s: %v", what, err)
	}
	c.broken = st
	return st
}

// handleFrame handles the connection-level frames any read may meet.
func (c *Conn) handleFrame(f frame) error {
	switch f.typ {
	case frameSettings:
		if f.has(flagAck) {
			return nil
		}
		if err := c.applySettings(f.payload); err != nil {
			return err
		}
		return c.write(appendFrame(nil, frameSettings, flagAck, 0, nil))
	case framePing:
		if f.has(flagAck) || len(f.payload) != 8 {
			return nil
		}
		return c.write(appendFrame(nil, framePing, flagAck, 0, f.payload))
	case frameGoAway:
		if len(f.payload) < 8 {
			return c.fail(statusf(Unavailable, nil, "malformed GOAWAY"))
		}
		last := uint32(f.payload[0])<<24&0x7f000000 | uint32(f.payload[1])<<16 | uint32(f.payload[2])<<8 | uint32(f.payload[3])
		c.goAway = &last
		code := uint32(f.payload[4])<<24 | uint32(f.payload[5])<<16 | uint32(f.payload[6])<<8 | uint32(f.payload[7])
		c.broken = statusf(Unavailable, nil, "server sent GOAWAY %s (%s)", h2ErrorName(code), f.payload[8:])
	case frameWindowUpdate:
		if len(f.payload) != 4 {
			return c.fail(statusf(Internal, nil, "malformed WINDOW_UPDATE"))
		}
		incr := int64(uint32(f.payload[0])<<24&0x7f000000 | uint32(f.payload[1])<<16 | uint32(f.payload[2])<<8 | uint32(f.payload[3]))
		if f.stream == 0 {
			c.connSendWindow += incr
		}
	case framePushPromise:
		return c.fail(statusf(Internal, nil, "server sent PUSH_PROMISE although push is disabled"))
	}
	return nil
}

func (c *Conn) applySettings(p []byte) error {
	if len(p)%6 != 0 {
		return c.fail(statusf(Internal, nil, "malformed SETTINGS of %d bytes", len(p)))
	}
	for ; len(p) > 0; p = p[6:] {
		id := uint16(p[0])<<8 | uint16(p[1])
		v := uint32(p[2])<<24 | uint32(p[3])<<16 | uint32(p[4])<<8 | uint32(p[5])
		switch id {
		case settingHeaderTableSize:
			c.enc.SetMaxDynamicTableSizeLimit(v)
		case settingInitialWindowSize:
			if v > maxWindow {
				return c.fail(statusf(Internal, nil, "SETTINGS_INITIAL_WINDOW_SIZE %d too large", v))
			}
			// Calls are sequential and a stream's send window is computed
			// from this when the call starts, so no open stream needs adjusting.
			c.peerInitialWindow = int64(v)
		case settingMaxFrameSize:
			if v < defaultMaxFrame || v > 1<<24-1 {
				return c.fail(statusf(Internal, nil, "SETTINGS_MAX_FRAME_SIZE %d out of range", v))
			}
			c.peerMaxFrame = v
		}
	}
	return nil
}

// fail marks the connection broken with err and returns it.
func (c *Conn) fail(err *Status) error {
	c.broken = err
	return err
}

func (c *Conn) write(b []byte) error {
	if _, err := c.nc.Write(b); err != nil {
		return c.fail(statusf(Unavailable, err, "write to the server: %v", err))
	}
	return nil
}

// Close sends GOAWAY and closes the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.nc.Write(appendFrame(nil, frameGoAway, 0, 0, make([]byte, 8)))
	return c.nc.Close()
}
