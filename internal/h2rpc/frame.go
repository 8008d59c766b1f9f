package h2rpc

import (
	"encoding/binary"
	"fmt"
	"io"
)

// HTTP/2 frame types and flags (RFC 9113 section 6) this client reads or writes.
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9

	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20
)

// SETTINGS identifiers (RFC 9113 section 6.5.2).
const (
	settingHeaderTableSize   = 0x1
	settingEnablePush        = 0x2
	settingInitialWindowSize = 0x4
	settingMaxFrameSize      = 0x5
)

const (
	frameHeaderLen = 9
	// defaultMaxFrame is the largest frame payload either side may send until
	// told otherwise; this client never raises its own.
	defaultMaxFrame = 16384
	// defaultWindow is every flow-control window before SETTINGS or WINDOW_UPDATE.
	defaultWindow = 65535
	maxWindow     = 1<<31 - 1
)

// clientPreface opens every HTTP/2 connection; with prior knowledge (h2c over
// a unix socket) there is no TLS ALPN or Upgrade before it.
const clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

type frame struct {
	typ     uint8
	flags   uint8
	stream  uint32
	payload []byte
}

func (f frame) has(flag uint8) bool { return f.flags&flag != 0 }

// readFrame reads one frame into buf (grown as needed, reused between calls).
// A payload over maxPayload is a FRAME_SIZE_ERROR: the peer ignored our limit,
// or it does not speak HTTP/2 at all.
func readFrame(r io.Reader, buf *[]byte, maxPayload uint32) (frame, error) {
	var h [frameHeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	n := uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
	if n > maxPayload {
		return frame{}, fmt.Errorf("frame of %d bytes over the %d-byte limit (header % x): not an HTTP/2 peer, or a broken one", n, maxPayload, h[:])
	}
	if cap(*buf) < int(n) {
		*buf = make([]byte, n)
	}
	p := (*buf)[:n]
	if _, err := io.ReadFull(r, p); err != nil {
		return frame{}, err
	}
	return frame{typ: h[3], flags: h[4], stream: binary.BigEndian.Uint32(h[5:]) & maxWindow, payload: p}, nil
}

func appendFrame(dst []byte, typ, flags uint8, stream uint32, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, byte(n>>16), byte(n>>8), byte(n), typ, flags)
	dst = binary.BigEndian.AppendUint32(dst, stream)
	return append(dst, payload...)
}

func appendSetting(dst []byte, id uint16, v uint32) []byte {
	dst = binary.BigEndian.AppendUint16(dst, id)
	return binary.BigEndian.AppendUint32(dst, v)
}

func appendWindowUpdate(dst []byte, stream, incr uint32) []byte {
	return appendFrame(dst, frameWindowUpdate, 0, stream, binary.BigEndian.AppendUint32(nil, incr))
}

// unpad strips the pad length byte and trailing padding of a PADDED DATA or
// HEADERS payload, and the priority fields of a HEADERS with PRIORITY.
func unpad(f frame) ([]byte, error) {
	p := f.payload
	pad := 0
	if f.has(flagPadded) {
		if len(p) < 1 {
			return nil, fmt.Errorf("padded frame type %d without a pad length", f.typ)
		}
		pad, p = int(p[0]), p[1:]
	}
	if f.typ == frameHeaders && f.has(flagPriority) {
		if len(p) < 5 {
			return nil, fmt.Errorf("HEADERS with PRIORITY shorter than 5 bytes")
		}
		p = p[5:]
	}
	if pad > len(p) {
		return nil, fmt.Errorf("frame type %d: padding %d longer than the payload", f.typ, pad)
	}
	return p[:len(p)-pad], nil
}

// h2ErrorNames are the RST_STREAM / GOAWAY error codes (RFC 9113 section 7).
var h2ErrorNames = []string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
	"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
	"COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func h2ErrorName(code uint32) string {
	if int(code) < len(h2ErrorNames) {
		return h2ErrorNames[code]
	}
	return fmt.Sprintf("error 0x%x", code)
}
