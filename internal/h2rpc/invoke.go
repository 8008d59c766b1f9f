package h2rpc

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"
)

// maxHeaderBlock bounds one response header block (HEADERS + CONTINUATION).
const maxHeaderBlock = 1 << 20

// stream is the state of the one call in flight.
type stream struct {
	id         uint32
	sendWindow int64
	// unacked is what the server sent on the stream since our last
	// WINDOW_UPDATE for it.
	unacked int

	// A header block spans HEADERS and its CONTINUATIONs; endStream is the
	// HEADERS frame's flag, which applies once the block is complete.
	block             []byte
	blockStream       uint32
	inBlock, blockEnd bool

	headersSeen bool
	httpStatus  int
	contentType string
	grpcStatus  string
	grpcMessage string

	data []byte
	done bool
	err  error
}

// Invoke makes one unary call: method is "/package.Service/Method", req and
// the returned response are encoded protobuf messages. A non-OK answer and
// every transport failure are a *Status.
func (c *Conn) Invoke(ctx context.Context, method string, req []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, c.broken
	}
	timeout := ""
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return nil, statusf(DeadlineExceeded, context.DeadlineExceeded, "%s: deadline already passed", method)
		}
		timeout = encodeTimeout(left)
	}
	if err := ctx.Err(); err != nil {
		return nil, statusf(Canceled, err, "%s: %v", method, err)
	}
	stop := c.watch(ctx)
	defer stop()

	s := &stream{id: c.nextStream, sendWindow: c.peerInitialWindow}
	c.nextStream += 2
	if err := c.writeHeaders(s.id, method, timeout); err != nil {
		return nil, c.transportError(ctx, method, err)
	}
	msg := make([]byte, 5, 5+len(req))
	binary.BigEndian.PutUint32(msg[1:], uint32(len(req)))
	if err := c.sendData(ctx, s, append(msg, req...)); err != nil {
		return nil, err
	}
	for !s.done {
		if err := c.step(ctx, s); err != nil {
			return nil, err
		}
	}
	if dl, ok := ctx.Deadline(); ok && CodeOf(s.err) == Canceled && !time.Now().Before(dl) {
		// The server ends a call whose grpc-timeout expired with either a
		// DEADLINE_EXCEEDED status or a bare RST_STREAM CANCEL; both mean
		// the deadline we sent passed.
		s.err = statusf(DeadlineExceeded, context.DeadlineExceeded, "%s: %v", method, s.err)
	}
	return s.result(method)
}

// encodeTimeout writes grpc-timeout: at most 8 digits and a unit, rounded up
// so the server never gives up before we do.
func encodeTimeout(d time.Duration) string {
	if ms := (d + time.Millisecond - 1) / time.Millisecond; ms < 1e8 {
		return strconv.FormatInt(int64(ms), 10) + "m"
	}
	return strconv.FormatInt(int64(min((d+time.Second-1)/time.Second, 1e8-1)), 10) + "S"
}

func (c *Conn) writeHeaders(id uint32, method, timeout string) error {
	c.encBuf.Reset()
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
		{Name: ":path", Value: method}, {Name: ":authority", Value: "localhost"},
		{Name: "content-type", Value: "application/grpc"}, {Name: "te", Value: "trailers"},
		{Name: "user-agent", Value: "netcheck-h2rpc"},
	} {
		if err := c.enc.WriteField(f); err != nil {
			return err
		}
	}
	if timeout != "" {
		if err := c.enc.WriteField(hpack.HeaderField{Name: "grpc-timeout", Value: timeout}); err != nil {
			return err
		}
	}
	block := c.encBuf.Bytes()
	c.wbuf = c.wbuf[:0]
	typ := uint8(frameHeaders)
	for first := true; first || len(block) > 0; first = false {
		n := min(len(block), int(c.peerMaxFrame))
		flags := uint8(0)
		if n == len(block) {
			flags = flagEndHeaders
		}
		c.wbuf = appendFrame(c.wbuf, typ, flags, id, block[:n])
		block, typ = block[n:], frameContinuation
	}
	_, err := c.nc.Write(c.wbuf)
	return err
}

// sendData sends the request body as DATA frames within the peer's frame
// size and both send windows, reading frames (WINDOW_UPDATE among them) when
// a window is shut. A server may answer before reading it all (an early
// error): then the rest is dropped.
func (c *Conn) sendData(ctx context.Context, s *stream, body []byte) error {
	for len(body) > 0 && !s.done {
		n := int(min(int64(len(body)), int64(c.peerMaxFrame), c.connSendWindow, s.sendWindow))
		if n <= 0 {
			if err := c.step(ctx, s); err != nil {
				return err
			}
			continue
		}
		flags := uint8(0)
		if n == len(body) {
			flags = flagEndStream
		}
		if _, err := c.nc.Write(appendFrame(c.wbuf[:0], frameData, flags, s.id, body[:n])); err != nil {
			return c.transportError(ctx, "send request", err)
		}
		c.connSendWindow -= int64(n)
		s.sendWindow -= int64(n)
		body = body[n:]
	}
	return nil
}

// step reads one frame and applies it to the call or the connection.
func (c *Conn) step(ctx context.Context, s *stream) error {
	f, err := readFrame(c.br, &c.rbuf, defaultMaxFrame)
	if err != nil {
		return c.transportError(ctx, "read response", err)
	}
	if s.inBlock && (f.typ != frameContinuation || f.stream != s.blockStream) {
		return c.fail(statusf(Internal, nil, "frame type %d in the middle of a header block", f.typ))
	}
	switch f.typ {
	case frameData:
		return c.onData(s, f)
	case frameHeaders, frameContinuation:
		return c.onHeaders(s, f)
	case frameRSTStream:
		if f.stream == s.id && !s.done && len(f.payload) == 4 {
			code := binary.BigEndian.Uint32(f.payload)
			s.done, s.err = true, statusf(rstCode(code), nil, "server reset the stream: %s", h2ErrorName(code))
		}
		return nil
	case frameWindowUpdate:
		if f.stream != 0 {
			if f.stream == s.id && len(f.payload) == 4 {
				s.sendWindow += int64(binary.BigEndian.Uint32(f.payload) & maxWindow)
			}
			return nil
		}
	case frameGoAway:
		if err := c.handleFrame(f); err != nil {
			return err
		}
		if *c.goAway < s.id && !s.done {
			s.done, s.err = true, c.broken
		}
		return nil
	}
	return c.handleFrame(f)
}

// rstCode is the gRPC code for an RST_STREAM error, as gRPC maps them.
func rstCode(h2 uint32) Code {
	switch h2ErrorName(h2) {
	case "REFUSED_STREAM":
		return Unavailable
	case "CANCEL":
		return Canceled
	case "ENHANCE_YOUR_CALM":
		return ResourceExhausted
	case "INADEQUATE_SECURITY":
		return PermissionDenied
	}
	return Internal
}

func (c *Conn) onData(s *stream, f frame) error {
	// Every DATA byte, padding included, counts against the connection
	// window, whichever stream it is for.
	c.connUnacked += len(f.payload)
	if c.connUnacked >= c.window/2 {
		if err := c.write(appendWindowUpdate(nil, 0, uint32(c.connUnacked))); err != nil {
			return err
		}
		c.connUnacked = 0
	}
	if f.stream != s.id || s.done {
		return nil // a stream we gave up on
	}
	p, err := unpad(f)
	if err != nil {
		return c.fail(statusf(Internal, err, "%v", err))
	}
	if !s.headersSeen {
		return c.fail(statusf(Internal, nil, "DATA before the response headers"))
	}
	if len(s.data)+len(p) > c.maxMessage+5 {
		s.done = true
		s.err = statusf(ResourceExhausted, nil, "response larger than the %d-byte limit", c.maxMessage)
		return c.write(appendFrame(nil, frameRSTStream, 0, s.id, []byte{0, 0, 0, 8})) // CANCEL
	}
	s.data = append(s.data, p...)
	if f.has(flagEndStream) {
		s.done = true
		return nil
	}
	s.unacked += len(f.payload)
	if s.unacked >= c.window/2 {
		if err := c.write(appendWindowUpdate(nil, s.id, uint32(s.unacked))); err != nil {
			return err
		}
		s.unacked = 0
	}
	return nil
}

func (c *Conn) onHeaders(s *stream, f frame) error {
	p := f.payload
	if f.typ == frameHeaders {
		var err error
		if p, err = unpad(f); err != nil {
			return c.fail(statusf(Internal, err, "%v", err))
		}
		s.block, s.blockEnd, s.blockStream = s.block[:0], f.has(flagEndStream), f.stream
	} else if !s.inBlock {
		return c.fail(statusf(Internal, nil, "CONTINUATION without HEADERS"))
	}
	if len(s.block)+len(p) > maxHeaderBlock {
		return c.fail(statusf(Internal, nil, "response header block over %d bytes", maxHeaderBlock))
	}
	s.block = append(s.block, p...)
	s.inBlock = !f.has(flagEndHeaders)
	if s.inBlock {
		return nil
	}
	// Every block is decoded, whatever its stream, to keep the HPACK table in
	// step with the server's.
	fields, err := c.dec.DecodeFull(s.block)
	if err != nil {
		return c.fail(statusf(Internal, err, "decode response headers: %v", err))
	}
	if f.stream != s.id || s.done {
		return nil
	}
	for _, hf := range fields {
		switch hf.Name {
		case ":status":
			s.httpStatus, _ = strconv.Atoi(hf.Value)
		case "content-type":
			s.contentType = hf.Value
		case "grpc-status":
			s.grpcStatus = hf.Value
		case "grpc-message":
			s.grpcMessage = percentDecode(hf.Value)
		}
	}
	s.headersSeen = true
	if s.blockEnd {
		s.done = true
	}
	return nil
}

// result turns the finished stream into the response message or its error.
func (s *stream) result(method string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.grpcStatus == "" {
		if s.httpStatus != 200 {
			return nil, statusf(codeFromHTTP(s.httpStatus), nil, "%s: HTTP status %d, content-type %q: not a gRPC answer", method, s.httpStatus, s.contentType)
		}
		return nil, statusf(Internal, nil, "%s: stream ended without grpc-status trailer", method)
	}
	code, err := strconv.ParseUint(s.grpcStatus, 10, 32)
	if err != nil {
		return nil, statusf(Unknown, err, "%s: malformed grpc-status %q", method, s.grpcStatus)
	}
	if code != 0 {
		return nil, &Status{Code: Code(code), Message: s.grpcMessage}
	}
	if !strings.HasPrefix(s.contentType, "application/grpc") {
		return nil, statusf(Unknown, nil, "%s: content-type %q is not gRPC", method, s.contentType)
	}
	if len(s.data) < 5 {
		return nil, statusf(Internal, nil, "%s: OK without a response message (%d bytes)", method, len(s.data))
	}
	if s.data[0] != 0 {
		return nil, statusf(Internal, nil, "%s: compressed response, but none was offered", method)
	}
	n := binary.BigEndian.Uint32(s.data[1:5])
	if int(n) != len(s.data)-5 {
		return nil, statusf(Internal, nil, "%s: message of %d bytes in %d bytes of DATA: want exactly one", method, n, len(s.data)-5)
	}
	return s.data[5:], nil
}

// IsNotFound reports a gRPC NotFound, e.g. a sandbox removed since it was listed.
func IsNotFound(err error) bool { return CodeOf(err) == NotFound }
