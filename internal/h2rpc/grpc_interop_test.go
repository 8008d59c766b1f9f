package h2rpc

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rawCodec lets the real grpc-go server below pass message bytes through
// untouched, so the tests control exactly what goes on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), b...)
	return nil
}
func (rawCodec) Name() string   { return "proto" }
func (rawCodec) String() string { return "raw" }

const notFoundMsg = "sandbox «web» 100% gone\nreally"

// serveGRPC runs grpc-go, the implementation containerd and CRI-O use, with
// methods: Echo returns the request; Big returns as many bytes as the decimal
// request says; NotFound fails with a message that needs percent-encoding;
// Hang answers only when the call's context ends.
func serveGRPC(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "grpc.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(ss)
		var in []byte
		if err := ss.RecvMsg(&in); err != nil {
			return err
		}
		var out []byte
		switch method {
		case "/test.T/Echo":
			out = in
		case "/test.T/Big":
			n, _ := strconv.Atoi(string(in))
			out = bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
		case "/test.T/NotFound":
			return status.Error(codes.NotFound, notFoundMsg)
		case "/test.T/Hang":
			<-ss.Context().Done()
			return ss.Context().Err()
		default:
			return status.Errorf(codes.Unimplemented, "no method %s", method)
		}
		return ss.SendMsg(&out)
	}))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return sock
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, d Dialer, sock string) *Conn {
	t.Helper()
	c, err := d.Dial(testCtx(t, 5*time.Second), sock)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func big(t *testing.T, c *Conn, n int) ([]byte, error) {
	return c.Invoke(testCtx(t, 20*time.Second), "/test.T/Big", []byte(strconv.Itoa(n)))
}

// Responses past the 65535-byte default window and the 16 KiB frame limit
// arrive in many DATA frames and need WINDOW_UPDATEs; a 16 MiB one (a busy
// node's ListPodSandbox) must work with the smallest window, i.e. after
// hundreds of updates, and calls go on on the same connection afterwards.
func TestLargeResponsesNeedWindowUpdates(t *testing.T) {
	sock := serveGRPC(t)
	for _, d := range []Dialer{{}, {Window: defaultWindow}} {
		c := dial(t, d, sock)
		for _, n := range []int{0, 1, 70 << 10, 1 << 20, DefaultMaxMessage} {
			got, err := big(t, c, n)
			if err != nil || len(got) != n || !bytes.HasPrefix([]byte("0123456789abcdef"), got[:min(16, n)]) {
				t.Fatalf("window %d: Big(%d) = %d bytes, %v", d.Window, n, len(got), err)
			}
		}
		req := bytes.Repeat([]byte{0xab}, 100<<10) // the request too spans frames
		if got, err := c.Invoke(testCtx(t, 5*time.Second), "/test.T/Echo", req); err != nil || !bytes.Equal(got, req) {
			t.Fatalf("Echo(100 KiB) = %d bytes, %v", len(got), err)
		}
	}
}

// A response over MaxMessage fails with ResourceExhausted; the stream is
// cancelled and the connection still serves the next call.
func TestResponseOverTheLimit(t *testing.T) {
	c := dial(t, Dialer{MaxMessage: 1 << 20}, serveGRPC(t))
	if _, err := big(t, c, 1<<20+1); CodeOf(err) != ResourceExhausted {
		t.Fatalf("Big(limit+1): %v, want ResourceExhausted", err)
	}
	if got, err := c.Invoke(testCtx(t, 5*time.Second), "/test.T/Echo", []byte("again")); err != nil || string(got) != "again" {
		t.Fatalf("Echo after the cancelled stream: %q, %v", got, err)
	}
}

func TestErrorStatusIsDecoded(t *testing.T) {
	c := dial(t, Dialer{}, serveGRPC(t))
	_, err := c.Invoke(testCtx(t, 5*time.Second), "/test.T/NotFound", nil)
	var st *Status
	if !errors.As(err, &st) || st.Code != NotFound || st.Message != notFoundMsg || !IsNotFound(err) {
		t.Fatalf("NotFound call: %#v, want code NotFound and message %q", err, notFoundMsg)
	}
	if _, err := c.Invoke(testCtx(t, 5*time.Second), "/other.S/M", nil); CodeOf(err) != Unimplemented {
		t.Fatalf("unknown method: %v, want Unimplemented", err)
	}
}

// The deadline travels as grpc-timeout: grpc-go ends the hung call itself
// with DeadlineExceeded. Cancelling the context ends the call as Canceled.
func TestDeadlineAndCancel(t *testing.T) {
	sock := serveGRPC(t)
	c := dial(t, Dialer{}, sock)
	_, err := c.Invoke(testCtx(t, 300*time.Millisecond), "/test.T/Hang", nil)
	if CodeOf(err) != DeadlineExceeded {
		t.Fatalf("Hang with a deadline: %v, want DeadlineExceeded", err)
	}

	c2 := dial(t, Dialer{}, sock)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err = c2.Invoke(ctx, "/test.T/Hang", nil)
	if CodeOf(err) != Canceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("Hang cancelled: %v, want Canceled", err)
	}
	if _, err := c2.Invoke(testCtx(t, time.Second), "/test.T/Echo", nil); err == nil {
		t.Fatal("a connection torn mid-call still served a call")
	}
}

// A socket that accepts and never answers: Dial gives up at the deadline.
func TestServerThatNeverAnswers(t *testing.T) {
	sock := serveUnix(t, "silent.sock", func(c net.Conn) { t.Cleanup(func() { _ = c.Close() }) })
	_, err := Dial(testCtx(t, 300*time.Millisecond), sock)
	if CodeOf(err) != DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial(silent) = %v, want DeadlineExceeded", err)
	}
}

// An HTTP/1.1 server on the socket (think: the docker API) is not HTTP/2.
func TestSocketThatIsNotHTTP2(t *testing.T) {
	sock := serveUnix(t, "http1.sock", func(c net.Conn) {
		// Like a real HTTP/1.1 server: read the "request" (our preface),
		// answer 400, close.
		_, _ = c.Read(make([]byte, 64))
		_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n400 Bad Request"))
		_ = c.Close()
	})
	_, err := Dial(testCtx(t, 5*time.Second), sock)
	if CodeOf(err) != Unavailable || !strings.Contains(err.Error(), "not an HTTP/2 peer") {
		t.Fatalf("Dial(HTTP/1.1 server) = %v", err)
	}
	if _, err := Dial(testCtx(t, time.Second), filepath.Join(t.TempDir(), "none.sock")); CodeOf(err) != Unavailable {
		t.Fatalf("Dial(missing socket) = %v, want Unavailable", err)
	}
}

// serveUnix listens on a unix socket named name in a temporary directory and
// hands every connection to handle until the test ends.
func serveUnix(t *testing.T, name string, handle func(net.Conn)) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), name)
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			handle(c)
		}
	}()
	return sock
}

func TestEncodeTimeout(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Microsecond: "1m", 1500 * time.Millisecond: "1500m", 30 * time.Hour: "108000S",
	} {
		if got := encodeTimeout(d); got != want {
			t.Errorf("encodeTimeout(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPercentDecode(t *testing.T) {
	for in, want := range map[string]string{"plain": "plain", "a%20b%25": "a b%", "bad%zz%4": "bad%zz%4", "%C2%AB": "«"} {
		if got := percentDecode(in); got != want {
			t.Errorf("percentDecode(%q) = %q, want %q", in, got, want)
		}
	}
}
