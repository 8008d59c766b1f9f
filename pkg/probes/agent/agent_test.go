package agent

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// testSocket is an abstract socket name no other test or agent uses.
func testSocket(t *testing.T) string {
	return fmt.Sprintf("@netcheck-agent-test-%d-%s", os.Getpid(), t.Name())
}

func TestAgentIdlesOutOnlyWithoutRuns(t *testing.T) {
	sock := testSocket(t)
	var log syncLog
	a := Agent{Socket: sock, IdleTimeout: 300 * time.Millisecond, Log: &log}
	done := make(chan error, 1)
	started := time.Now()
	go func() { done <- a.Serve(context.Background()) }()

	var lease interface{ Close() error }
	for i := 0; ; i++ { // wait for the listener
		l, info, err := Attach(context.Background(), sock)
		if err == nil {
			lease = l
			if !strings.HasPrefix(info, "ok agent pid ") {
				t.Errorf("greeting %q", info)
			}
			break
		}
		if i > 100 {
			t.Fatalf("agent never listened: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Held for three idle periods: the agent must stay.
	select {
	case err := <-done:
		t.Fatalf("agent left during an attached run: %v", err)
	case <-time.After(900 * time.Millisecond):
	}
	released := time.Now()
	lease.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(released) < 250*time.Millisecond {
			t.Errorf("agent left %v after the run, before its idle timeout", time.Since(released))
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("agent did not idle out (started %v ago): %s", time.Since(started), log.String())
	}
	if !strings.Contains(log.String(), "after 1 runs; exiting") {
		t.Errorf("log: %s", log.String())
	}
}

func TestAgentStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Agent{Socket: testSocket(t), IdleTimeout: time.Hour}.Serve(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("agent ignored cancellation")
	}
}

func TestSecondAgentOnSameSocketFails(t *testing.T) {
	sock := testSocket(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = Agent{Socket: sock, IdleTimeout: time.Hour}.Serve(ctx) }()
	time.Sleep(100 * time.Millisecond)
	err := Agent{Socket: sock, IdleTimeout: time.Hour}.Serve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--socket") {
		t.Errorf("want an error that suggests --socket, got %v", err)
	}
}

func TestAttachWithoutAgent(t *testing.T) {
	if _, _, err := Attach(context.Background(), testSocket(t)); err == nil {
		t.Fatal("attach to a socket nobody listens on must fail")
	}
}

func TestReadRequest(t *testing.T) {
	req := v1alpha1.NewProbeRequest(v1alpha1.CheckSpec{ID: "a", Check: "tcp"})
	data := []byte(`{"apiVersion":"` + v1alpha1.APIVersion + `","kind":"ProbeRequest","checks":[{"id":"a","check":"tcp"}]}`)
	file := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() (v1alpha1.ProbeRequest, error){
		"b64": func() (v1alpha1.ProbeRequest, error) {
			return ReadRequest(base64.StdEncoding.EncodeToString(data), "", nil)
		},
		"file":  func() (v1alpha1.ProbeRequest, error) { return ReadRequest("", file, nil) },
		"stdin": func() (v1alpha1.ProbeRequest, error) { return ReadRequest("", "", bytes.NewReader(data)) },
	} {
		got, err := read()
		if err != nil || len(got.Checks) != 1 || got.Checks[0].ID != req.Checks[0].ID {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	_, err := ReadRequest("", "", strings.NewReader(`{"apiVersion":"other/v9","kind":"ProbeRequest"}`))
	var verr *v1alpha1.VersionError
	if !errors.As(err, &verr) {
		t.Errorf("want a VersionError, got %v", err)
	}
	if _, err := ReadRequest("%%%", "", nil); err == nil {
		t.Error("bad base64 must fail")
	}
}

// stubCheck is a pure-logic stand-in: this test is about the NDJSON framing, not a check.
type stubCheck struct{}

func (stubCheck) Name() string                      { return "stub" }
func (stubCheck) Requirements() probes.Requirements { return probes.Requirements{} }
func (stubCheck) Run(_ context.Context, _ v1alpha1.CheckSpec, progress probes.Progress) v1alpha1.CheckResult {
	progress("halfway")
	return v1alpha1.CheckResult{Status: v1alpha1.StatusPass, Summary: "fine"}
}

// flushCounter records each Write and Flush, to prove one line per write and a flush per line.
type flushCounter struct {
	writes  []string
	flushes int
}

func (f *flushCounter) Write(p []byte) (int, error) {
	f.writes = append(f.writes, string(p))
	return len(p), nil
}
func (f *flushCounter) Flush() error { f.flushes++; return nil }

func TestRunWritesOneFlushedLinePerEvent(t *testing.T) {
	var out flushCounter
	Run(context.Background(), probes.Registry{"stub": stubCheck{}},
		v1alpha1.NewProbeRequest(v1alpha1.CheckSpec{ID: "s1", Check: "stub"}), &out)
	var types []string
	for _, w := range out.writes {
		if strings.Count(w, "\n") != 1 || !strings.HasSuffix(w, "\n") {
			t.Errorf("write is not exactly one line: %q", w)
		}
		ev, err := v1alpha1.DecodeEvent([]byte(w))
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, string(ev.Type))
	}
	if got := strings.Join(types, ","); got != "hello,started,progress,result,done" {
		t.Errorf("events %s", got)
	}
	if out.flushes != len(out.writes) {
		t.Errorf("%d flushes for %d lines", out.flushes, len(out.writes))
	}
}

// syncLog is a log buffer the agent goroutine writes while the test reads.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncLog) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }
