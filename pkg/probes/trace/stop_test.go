//go:build linux

package trace

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/path/pathtest"
)

// A far half told that the sender is done ends at once instead of at its
// window, and still holds every packet the sender's probes made on its hops.
func TestFarHalfStopsWhenTheSenderIsDone(t *testing.T) {
	topo := pathtest.NewTwoNodes(t)
	topo.B.Pod.ListenTCP(t, fmt.Sprintf("%s:%d", topo.B.PodIP, serverPort))
	hops := twoNodeHops(t, topo)
	const firstPort, count, window = 62100, 2, 10 * time.Second

	stop := probes.NewStop()
	farDone := startFarHalf(probes.WithStop(context.Background(), stop), v1alpha1.TraceSpec{
		Destination: topo.B.PodIP.String(), Port: serverPort, Hops: hops[5:], Count: count,
		SourcePort: firstPort, CaptureOnlyMillis: int(window.Milliseconds())})
	spec := tcpSpec(topo, hops[:5], count)
	spec.SourcePort, spec.PcapOut = firstPort, true
	sender := runTrace(t, spec)

	stop.Request()
	stopped := time.Now()
	var far v1alpha1.CheckResult
	select {
	case far = <-farDone:
	case <-time.After(window / 2):
		t.Fatalf("the far half still captures %s after the stop: it ignores it", window/2)
	}
	t.Logf("far half returned %s after the stop (window %s)", time.Since(stopped).Round(time.Millisecond), window)
	if far.Status != v1alpha1.StatusPass || far.Trace == nil || !far.Trace.StoppedOnRequest {
		t.Fatalf("far half: %s %s %s %+v", far.Status, far.Summary, far.Error, far.Trace)
	}

	merged, err := Merge(sender.Trace, far.Trace)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range merged.Probes {
		if !slices.Equal(seen(p, v1alpha1.TraceDirRequest), allHops) || p.Reply == nil || p.Reply.FirstHop != hopPodB {
			t.Errorf("%s: seen %v reply %+v: the stopped far half lost packets", p.Tag, seen(p, v1alpha1.TraceDirRequest), p.Reply)
		}
	}
}

// waitCapture says what ended a capture-only half: only the stop counts;
// the window and a cancelled run do not.
func TestWaitCaptureSaysWhatEndedIt(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for name, tc := range map[string]struct {
		ctx    context.Context
		window time.Duration
		stop   <-chan struct{}
		want   bool
	}{
		"stop":           {context.Background(), time.Hour, closed, true},
		"window":         {context.Background(), time.Millisecond, nil, false},
		"cancelled run":  {cancelled, time.Hour, nil, false},
		"no stop signal": {context.Background(), time.Millisecond, probes.StopOf(context.Background()).Done(), false},
	} {
		if got := waitCapture(tc.ctx, tc.window, tc.stop); got != tc.want {
			t.Errorf("%s: stopped early %t, want %t", name, got, tc.want)
		}
	}
}
