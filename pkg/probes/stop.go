package probes

import (
	"context"
	"sync"
	"sync/atomic"
)

// Stop ends a run's open-ended waits (a far trace half's capture) early.
// Unlike cancelling the context, it asks a check to finish and report what it
// has. It remembers why it fired: Request means whoever started the run knows
// the work the wait was for is complete (the sender's probes are done), which
// makes the early end safe to rely on; Abandon only means nobody will wait
// for more (the plugin hung up).
type Stop struct {
	done      chan struct{}
	once      sync.Once
	requested atomic.Bool
}

// NewStop returns a Stop that has not fired.
func NewStop() *Stop { return &Stop{done: make(chan struct{})} }

// Request fires the stop because the run's work is known to be complete.
func (s *Stop) Request() {
	s.once.Do(func() {
		s.requested.Store(true) // before close: whoever sees Done sees this
		close(s.done)
	})
}

// Abandon fires the stop without saying the work is complete.
func (s *Stop) Abandon() { s.once.Do(func() { close(s.done) }) }

// Done closes when the stop fires; nil (never closes) on a nil Stop.
func (s *Stop) Done() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.done
}

// Requested reports, once Done has closed, whether Request fired it.
func (s *Stop) Requested() bool { return s != nil && s.requested.Load() }

// stopKey carries a run's Stop in the checks' context.
type stopKey struct{}

// WithStop returns ctx carrying s.
func WithStop(ctx context.Context, s *Stop) context.Context {
	return context.WithValue(ctx, stopKey{}, s)
}

// StopOf is the Stop of ctx, or nil when the run has none.
func StopOf(ctx context.Context) *Stop {
	s, _ := ctx.Value(stopKey{}).(*Stop)
	return s
}
