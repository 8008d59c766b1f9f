package h2rpc

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// serveH2 runs a hand-driven HTTP/2 server (x/net/http2's Framer) for
// behaviour grpc-go rarely shows on demand: it reads the preface and the
// request, then hands the framer and the request's stream to answer.
func serveH2(t *testing.T, answer func(fr *http2.Framer, stream uint32)) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "h2.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	go func() {
		c, err := lis.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		preface := make([]byte, len(clientPreface))
		if _, err := io.ReadFull(c, preface); err != nil || string(preface) != clientPreface {
			t.Errorf("preface %q, %v", preface, err)
			return
		}
		fr := http2.NewFramer(c, c)
		_ = fr.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 20})
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Errorf("server read: %v", err)
				return
			}
			if d, ok := f.(*http2.DataFrame); ok && d.StreamEnded() {
				answer(fr, d.StreamID)
				return
			}
		}
	}()
	return sock
}

func headerBlock(fields ...string) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for i := 0; i < len(fields); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return b.Bytes()
}

func grpcMessage(p string) []byte {
	return append(binary.BigEndian.AppendUint32([]byte{0}, uint32(len(p))), p...)
}

// The server pings mid-call and waits for the ack before answering with
// headers split over HEADERS and CONTINUATION and a padded DATA frame.
func TestPingContinuationAndPadding(t *testing.T) {
	acked := make(chan bool, 1)
	sock := serveH2(t, func(fr *http2.Framer, id uint32) {
		data := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
		_ = fr.WritePing(false, data)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				acked <- false
				return
			}
			if p, ok := f.(*http2.PingFrame); ok && p.IsAck() {
				acked <- p.Data == data
				break
			}
		}
		h := headerBlock(":status", "200", "content-type", "application/grpc")
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h[:3]})
		_ = fr.WriteContinuation(id, true, h[3:])
		_ = fr.WriteDataPadded(id, false, grpcMessage("pong"), make([]byte, 7))
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
			BlockFragment: headerBlock("grpc-status", "0")})
	})
	c := dial(t, Dialer{}, sock)
	got, err := c.Invoke(testCtx(t, 5*time.Second), "/test.T/Ping", []byte("ping"))
	if err != nil || string(got) != "pong" {
		t.Fatalf("Invoke = %q, %v", got, err)
	}
	if !<-acked {
		t.Fatal("the PING was not acknowledged with its data")
	}
}

func TestGoAwayAndResetAreErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		answer func(fr *http2.Framer, id uint32)
		code   Code
		says   string
	}{
		"goaway": {func(fr *http2.Framer, id uint32) {
			_ = fr.WriteGoAway(0, http2.ErrCodeEnhanceYourCalm, []byte("too_many_pings"))
		}, Unavailable, "GOAWAY ENHANCE_YOUR_CALM (too_many_pings)"},
		"rst refused": {func(fr *http2.Framer, id uint32) {
			_ = fr.WriteRSTStream(id, http2.ErrCodeRefusedStream)
		}, Unavailable, "REFUSED_STREAM"},
		"rst internal": {func(fr *http2.Framer, id uint32) {
			_ = fr.WriteRSTStream(id, http2.ErrCodeInternal)
		}, Internal, "INTERNAL_ERROR"},
		"trailers-only http 503": {func(fr *http2.Framer, id uint32) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndStream: true, EndHeaders: true,
				BlockFragment: headerBlock(":status", "503", "content-type", "text/plain")})
		}, Unavailable, "HTTP status 503"},
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, Dialer{}, serveH2(t, tc.answer))
			_, err := c.Invoke(testCtx(t, 5*time.Second), "/test.T/M", nil)
			if CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Invoke: %v; want %s saying %q", err, tc.code, tc.says)
			}
		})
	}
}
