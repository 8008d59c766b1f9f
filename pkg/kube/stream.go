package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// EventHandler gets each decoded event with its raw line (for -o ndjson
// pass-through); returning an error stops the stream.
type EventHandler func(raw []byte, ev v1alpha1.Event) error

// DecodeEvents reads NDJSON probe events from r as they arrive and hands each
// to on. Lines can be long (a netinfo result lists every route and socket), so
// it reads whole lines rather than using a size-capped scanner.
func DecodeEvents(r io.Reader, on EventHandler) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			ev, decErr := v1alpha1.DecodeEvent(trimmed)
			if decErr != nil {
				return fmt.Errorf("probe output %q: %w", snippet(trimmed), decErr)
			}
			if hErr := on(trimmed, ev); hErr != nil {
				return hErr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read probe output: %w", err)
		}
	}
}

func snippet(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}

// ErrNoOutput means the exec ended cleanly without a single event: the command
// never ran the probe, typically because the agent container had just exited
// (its idle timeout) or the node's kubelet went away.
var ErrNoOutput = errors.New("the probe sent no output")

// ErrNoDone means the probe's stream ended without its done event: the probe
// was killed, crashed, or the exec was cut.
var ErrNoDone = errors.New("the probe stopped before it finished")

// StreamEvents runs req with exec and decodes the probe's stdout while it runs,
// so progress shows as checks finish rather than at the end. It returns once
// the probe has sent done and exited, or with the first error.
func StreamEvents(ctx context.Context, exec Executor, req ExecRequest, on EventHandler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	stderr := &tailBuffer{max: 4 << 10}
	execErr := make(chan error, 1)
	go func() {
		err := exec.Exec(ctx, req, pw, stderr)
		// EOF for the reader either way: what went wrong travels on execErr, so
		// a probe that exits non-zero after done is not mistaken for a cut stream.
		_ = pw.Close()
		execErr <- err
	}()

	sawDone, sawAny := false, false
	decodeErr := DecodeEvents(pr, func(raw []byte, ev v1alpha1.Event) error {
		sawAny = true
		if ev.Type == v1alpha1.EventDone {
			sawDone = true
		}
		// An error about one check is that check's business; one about the
		// request means nothing will run.
		if ev.Type == v1alpha1.EventError && ev.CheckID == "" {
			return fmt.Errorf("the probe rejected the request: %s", ev.Message)
		}
		return on(raw, ev)
	})
	if decodeErr != nil {
		cancel() // stop the exec; the agent itself stays for the next run
	}
	_ = pr.Close() // unblocks an exec still writing after the decoder stopped
	err := <-execErr

	switch {
	case ctx.Err() != nil && decodeErr == nil && !sawDone:
		return fmt.Errorf("probe run in %s/%s: %w", req.Namespace, req.Pod, context.Cause(ctx))
	case decodeErr != nil:
		return decodeErr
	case err != nil && !sawDone:
		return fmt.Errorf("probe run in %s/%s (%s): %w%s", req.Namespace, req.Pod, req.Container, err, stderr.hint())
	case !sawAny:
		return fmt.Errorf("probe run in %s/%s (%s): %w%s", req.Namespace, req.Pod, req.Container, ErrNoOutput, stderr.hint())
	case !sawDone:
		return fmt.Errorf("probe run in %s/%s (%s): %w%s", req.Namespace, req.Pod, req.Container, ErrNoDone, stderr.hint())
	}
	// A non-zero exit after done (the probe's own verdict) is not a failure to run.
	return nil
}

// tailBuffer keeps the last max bytes of the probe's stderr for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) hint() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	return "; probe stderr: " + s
}
