package agent

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// The stop line requests the stop, the end of stdin abandons it, and nothing
// else the stream carries fires it.
func TestStopOnStdin(t *testing.T) {
	for name, tc := range map[string]struct {
		input         string
		eof           bool
		fires         bool
		wantRequested bool
	}{
		"stop line":          {input: "stop\n", fires: true, wantRequested: true},
		"stop among noise":   {input: "hello\n  stop  \n", fires: true, wantRequested: true},
		"stop then eof":      {input: "stop\n", eof: true, fires: true, wantRequested: true},
		"end of stdin":       {eof: true, fires: true},
		"other lines, eof":   {input: "stopping\n", eof: true, fires: true},
		"other lines, open":  {input: "stopping\nstart\n"},
		"partial line, open": {input: "sto"},
	} {
		t.Run(name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			stop := probes.StopOf(stopOnStdin(context.Background(), pr))
			go func() {
				_, _ = io.Copy(pw, strings.NewReader(tc.input))
				if tc.eof {
					_ = pw.Close()
				}
			}()
			// Firing gets a generous deadline; not firing is judged after a
			// grace period for the reader to have consumed the input.
			wait := 5 * time.Second
			if !tc.fires {
				wait = 300 * time.Millisecond
			}
			select {
			case <-stop.Done():
				if !tc.fires {
					t.Fatal("stopped, want still capturing")
				}
				if stop.Requested() != tc.wantRequested {
					t.Errorf("requested %t, want %t", stop.Requested(), tc.wantRequested)
				}
			case <-time.After(wait):
				if tc.fires {
					t.Fatal("not stopped")
				}
			}
		})
	}
}

// A newer plugin adds fields to the request (stopOnStdin did): a probe that
// does not know one must still run the request, not reject it.
func TestReadRequestIgnoresFieldsItDoesNotKnow(t *testing.T) {
	body := `{"apiVersion":"` + v1alpha1.APIVersion + `","kind":"ProbeRequest","aFieldFromTheFuture":true,` +
		`"checks":[{"id":"t","check":"tcp","tcp":{"address":"10.0.0.1:80"}}]}`
	req, err := ReadRequest("", "", strings.NewReader(body))
	if err != nil || len(req.Checks) != 1 {
		t.Fatalf("request with an unknown field: %v, %d checks", err, len(req.Checks))
	}
}
