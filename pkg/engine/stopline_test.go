package engine

import (
	"io"
	"testing"
	"time"
)

// The far halves' stdin: the stop line once the senders are done, its end
// only once the exec has ended; nothing at all when the exec ended first.
func TestStopLine(t *testing.T) {
	stop, ended := make(chan struct{}), make(chan struct{})
	r := newStopLine(stop, ended)
	close(stop)
	buf := make([]byte, 64)
	if n, err := r.Read(buf); string(buf[:n]) != "stop\n" || err != nil {
		t.Fatalf("read %q, %v; want the stop line", buf[:n], err)
	}
	next := make(chan error, 1)
	go func() {
		_, err := r.Read(buf)
		next <- err
	}()
	select {
	case err := <-next:
		t.Fatalf("stdin ended (%v) while the exec still runs: the probe would read it as a hang-up", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(ended)
	if err := <-next; err != io.EOF {
		t.Errorf("after the exec ended: %v, want EOF", err)
	}

	stop, ended = make(chan struct{}), make(chan struct{})
	close(ended)
	if b, _ := io.ReadAll(newStopLine(stop, ended)); len(b) != 0 {
		t.Errorf("stdin %q after the exec ended, want nothing", b)
	}
}
