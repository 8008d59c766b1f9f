package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func line(t testing.TB, ev v1alpha1.Event) string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func TestDecodeEvents(t *testing.T) {
	hello := v1alpha1.NewEvent(v1alpha1.EventHello)
	big := v1alpha1.NewEvent(v1alpha1.EventProgress)
	big.Message = strings.Repeat("x", 1<<20) // longer than any scanner default
	input := line(t, hello) + "\n" + line(t, big) + strings.TrimSuffix(line(t, v1alpha1.NewEvent(v1alpha1.EventDone)), "\n")

	var got []v1alpha1.EventType
	err := DecodeEvents(strings.NewReader(input), func(raw []byte, ev v1alpha1.Event) error {
		if !json.Valid(raw) {
			t.Errorf("raw line is not the JSON object: %q", raw[:20])
		}
		got = append(got, ev.Type)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []v1alpha1.EventType{"hello", "progress", "done"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v (the last line has no newline and must still count)", got, want)
	}

	err = DecodeEvents(strings.NewReader(`{"apiVersion":"netcheck.kubectl.io/v9","kind":"Event","type":"hello"}`+"\n"), func([]byte, v1alpha1.Event) error { return nil })
	var verr *v1alpha1.VersionError
	if !errors.As(err, &verr) {
		t.Errorf("version skew: error = %v, want a VersionError", err)
	}
	err = DecodeEvents(strings.NewReader("exec: not found\n"), func([]byte, v1alpha1.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `probe output "exec: not found"`) {
		t.Errorf("garbage: error = %v", err)
	}
}

// scriptedExec plays a probe: it writes lines with a pause between them, then
// returns exitErr. It records the request it got.
type scriptedExec struct {
	lines   []string
	pause   time.Duration
	stderr  string
	exitErr error
	got     ExecRequest
}

func (s *scriptedExec) Exec(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) error {
	s.got = req
	_, _ = io.WriteString(stderr, s.stderr)
	for _, l := range s.lines {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.pause):
		}
		if _, err := io.WriteString(stdout, l); err != nil {
			return err
		}
	}
	return s.exitErr
}

func TestStreamEvents(t *testing.T) {
	hello, done := v1alpha1.NewEvent(v1alpha1.EventHello), v1alpha1.NewEvent(v1alpha1.EventDone)
	result := v1alpha1.NewEvent(v1alpha1.EventResult)
	result.CheckID = "c1"
	result.Result = &v1alpha1.CheckResult{ID: "c1", Status: v1alpha1.StatusPass}
	probeErr := v1alpha1.NewEvent(v1alpha1.EventError)
	probeErr.Message = `unknown check "udp"`
	req := ExecRequest{Namespace: "default", Pod: "client", Container: "netcheck-dev-abcde", Command: []string{"/netcheck-probe", "run"}}

	for _, tc := range []struct {
		name      string
		exec      *scriptedExec
		wantTypes string
		wantErr   string
	}{
		{name: "complete", exec: &scriptedExec{lines: []string{line(t, hello), line(t, result), line(t, done)}},
			wantTypes: "[hello result done]"},
		{name: "non-zero exit after done is fine", exec: &scriptedExec{lines: []string{line(t, hello), line(t, done)}, exitErr: errors.New("command terminated with exit code 1")},
			wantTypes: "[hello done]"},
		{name: "killed mid-run", exec: &scriptedExec{lines: []string{line(t, hello)}, stderr: "Killed", exitErr: errors.New("command terminated with exit code 137")},
			wantTypes: "[hello]", wantErr: "exit code 137; probe stderr: Killed"},
		{name: "stream ends without done", exec: &scriptedExec{lines: []string{line(t, hello)}},
			wantTypes: "[hello]", wantErr: ErrNoDone.Error()},
		{name: "no output at all", exec: &scriptedExec{},
			wantTypes: "[]", wantErr: ErrNoOutput.Error()},
		{name: "probe rejects the request", exec: &scriptedExec{lines: []string{line(t, hello), line(t, probeErr), line(t, done)}},
			wantTypes: "[hello]", wantErr: `the probe rejected the request: unknown check "udp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var types []v1alpha1.EventType
			err := StreamEvents(context.Background(), tc.exec, req, func(_ []byte, ev v1alpha1.Event) error {
				types = append(types, ev.Type)
				return nil
			})
			if fmt.Sprint(types) != tc.wantTypes {
				t.Errorf("events %v, want %s", types, tc.wantTypes)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
			if tc.exec.got.Container != req.Container {
				t.Errorf("exec went to %+v", tc.exec.got)
			}
		})
	}
}

func TestStreamEventsIsLiveAndCancellable(t *testing.T) {
	hello := v1alpha1.NewEvent(v1alpha1.EventHello)
	// The first event must reach the handler while the probe is still running.
	slow := &blockingExec{first: line(t, hello)}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- StreamEvents(ctx, slow, ExecRequest{Namespace: "default", Pod: "client"}, func(_ []byte, ev v1alpha1.Event) error {
			cancel() // like Ctrl-C after the first progress line
			return nil
		})
	}()
	select {
	case err := <-errc:
		if err == nil || !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("StreamEvents did not return after cancel")
	}
}

// blockingExec writes one line and then blocks until ctx ends, like a probe
// whose checks hang.
type blockingExec struct{ first string }

func (b *blockingExec) Exec(ctx context.Context, _ ExecRequest, stdout, _ io.Writer) error {
	_, _ = io.WriteString(stdout, b.first)
	<-ctx.Done()
	return ctx.Err()
}
