package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes"
)

// maxRequestBytes bounds what a run reads from stdin or a file: a request is a
// few kilobytes, and a runaway stream must not exhaust the probe's memory.
const maxRequestBytes = 8 << 20

// ReadRequest decodes the request from base64 text, a file, or stdin (in that
// order of preference) and rejects a request of another schema version.
func ReadRequest(b64, file string, stdin io.Reader) (v1alpha1.ProbeRequest, error) {
	var data []byte
	var err error
	switch {
	case b64 != "":
		if data, err = base64.StdEncoding.DecodeString(b64); err != nil {
			return v1alpha1.ProbeRequest{}, fmt.Errorf("decode --request-b64: %w", err)
		}
	case file != "":
		if data, err = os.ReadFile(file); err != nil {
			return v1alpha1.ProbeRequest{}, fmt.Errorf("read --request: %w", err)
		}
	default:
		if data, err = io.ReadAll(io.LimitReader(stdin, maxRequestBytes)); err != nil {
			return v1alpha1.ProbeRequest{}, fmt.Errorf("read request from stdin: %w", err)
		}
	}
	return v1alpha1.DecodeProbeRequest(data)
}

// Run runs req and writes every event as one JSON line to out as it happens.
func Run(ctx context.Context, reg probes.Registry, req v1alpha1.ProbeRequest, out io.Writer) {
	reg.Run(ctx, req, func(ev v1alpha1.Event) { WriteEvent(out, ev) })
}

// flusher is a writer that buffers (bufio.Writer and the like).
type flusher interface{ Flush() error }

// WriteEvent writes ev as one line in a single Write, then flushes a buffering
// writer, so the plugin renders progress live. Write errors are dropped: with
// the reader gone there is nobody to tell.
func WriteEvent(out io.Writer, ev v1alpha1.Event) {
	line, err := json.Marshal(ev)
	if err != nil {
		fallback := v1alpha1.NewEvent(v1alpha1.EventError)
		fallback.CheckID, fallback.Message = ev.CheckID, fmt.Sprintf("encode %s event: %v", ev.Type, err)
		line, _ = json.Marshal(fallback)
	}
	_, _ = out.Write(append(line, '\n'))
	if f, ok := out.(flusher); ok {
		_ = f.Flush()
	}
}
