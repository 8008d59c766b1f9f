package agent

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// The stop signal closes on the stop line or the end of stdin, and not on
// anything else the stream carries.
func TestStopOnStdin(t *testing.T) {
	for name, tc := range map[string]struct {
		input string
		eof   bool
		want  bool
	}{
		"stop line":          {input: "stop\n", want: true},
		"stop among noise":   {input: "hello\n  stop  \n", want: true},
		"end of stdin":       {eof: true, want: true},
		"other lines, open":  {input: "stopping\nstart\n", want: false},
		"partial line, open": {input: "sto", want: false},
	} {
		t.Run(name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			stop := probes.Stop(stopOnStdin(context.Background(), pr))
			go func() {
				_, _ = io.Copy(pw, strings.NewReader(tc.input))
				if tc.eof {
					_ = pw.Close()
				}
			}()
			// Closing gets a generous deadline; staying open is judged after
			// a grace period for the reader to have consumed the input.
			wait := 5 * time.Second
			if !tc.want {
				wait = 300 * time.Millisecond
			}
			select {
			case <-stop:
				if !tc.want {
					t.Fatal("stopped, want still capturing")
				}
			case <-time.After(wait):
				if tc.want {
					t.Fatal("not stopped")
				}
			}
		})
	}
}
