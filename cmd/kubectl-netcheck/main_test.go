package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// client-go's klog errors reach stderr while the run goes on, and none do once
// it is interrupted: the "context canceled" errors of the requests Ctrl-C cut
// would otherwise bury the run's own account of what it stopped.
func TestClientGoQuietOnceInterrupted(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	t.Cleanup(func() { os.Stderr = stderr; klog.ClearLogger() })

	ctx, cancel := context.WithCancel(context.Background())
	quietClientGoOnceInterrupted(ctx)
	klog.ErrorS(nil, "before the interrupt")
	klog.Warning("a warning before the interrupt")
	cancel()
	klog.ErrorS(context.Canceled, "Unexpected error when reading response body")
	klog.Flush()
	_ = w.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{"before the interrupt", "a warning before the interrupt"} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "Unexpected error") {
		t.Errorf("stderr %q shows a line logged after the interrupt", got)
	}
}
