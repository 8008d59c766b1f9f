//go:build linux

package main

import (
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// A run asked to stop on stdin ends its capture-only trace when the plugin
// writes "stop" or closes stdin, long before the capture window, and keeps
// what it captured; only the stop line vouches that the sender was done. A
// run not asked (an older plugin) captures its whole window whatever stdin
// does.
func TestRunStopsCaptureOnStdin(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	bin := probeBinary(t)
	for i, tc := range []struct {
		name          string
		stopOnStdin   bool
		window        time.Duration
		tell          func(stdin io.WriteCloser) error
		wantRequested bool
	}{
		{"stop line", true, 30 * time.Second, func(w io.WriteCloser) error { _, err := io.WriteString(w, "stop\n"); return err }, true},
		{"stdin closed", true, 30 * time.Second, func(w io.WriteCloser) error { return w.Close() }, false},
		{"not asked", false, 1500 * time.Millisecond, func(w io.WriteCloser) error { return w.Close() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := netnstest.NewPair(t)
			tagPort := 62200 + i
			req := v1alpha1.NewProbeRequest(v1alpha1.CheckSpec{ID: "far", Check: v1alpha1.CheckTrace, Trace: &v1alpha1.TraceSpec{
				Destination: p.ClientIP, Port: 80, SourcePort: tagPort, Count: 1,
				Hops: []v1alpha1.TraceHop{{Node: "client", Name: "eth0", Ifname: "eth0"}}, CaptureOnlyMillis: int(tc.window.Milliseconds())}})
			req.StopOnStdin = tc.stopOnStdin
			cmd := exec.Command(bin, "run", "--agent-socket", "@netcheck-e2e-none", "--request-b64", b64(requestJSON(t, req)))
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := p.Client.Do(cmd.Start); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			waitFor(t, func() bool { return strings.Contains(stdout.String(), "capturing on 1 hops") })

			// A tagged SYN towards the capture, sent before the stop: the
			// client answers it with a reset.
			err = p.Server.Do(func() error {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(p.ServerIP), Port: tagPort}, Timeout: time.Second}
				if c, err := d.Dial("tcp", net.JoinHostPort(p.ClientIP, "80")); err == nil {
					c.Close()
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.tell(stdin); err != nil {
				t.Fatal(err)
			}
			// Told to stop, it must end long before its window; not told, it
			// ends at its window.
			deadline := tc.window / 3
			if !tc.stopOnStdin {
				deadline = tc.window + 10*time.Second
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
				}
			case <-time.After(deadline):
				_ = cmd.Process.Kill()
				t.Fatalf("still capturing %s after stdin was told (window %s)", deadline, tc.window)
			}

			evs := decodeAll(t, []byte(stdout.String()))
			var res *v1alpha1.CheckResult
			for _, ev := range evs {
				if ev.Type == v1alpha1.EventResult {
					res = ev.Result
				}
			}
			if evs[len(evs)-1].Type != v1alpha1.EventDone || res == nil || res.Status != v1alpha1.StatusPass || res.Trace == nil {
				t.Fatalf("want a passed far half and done, got %s", stdout.String())
			}
			if res.Trace.StoppedOnRequest != tc.wantRequested {
				t.Errorf("stopped on request %t, want %t", res.Trace.StoppedOnRequest, tc.wantRequested)
			}
			if !tc.stopOnStdin && res.DurationMillis < float64(tc.window.Milliseconds()) {
				t.Errorf("a run not asked to stop captured %.0f ms, less than its window %s", res.DurationMillis, tc.window)
			}
			if h := res.Trace.Hops[0]; h.Packets < 2 {
				t.Errorf("hop %s kept %d packets, want the SYN and its reset", h.Label, h.Packets)
			}
		})
	}
}
