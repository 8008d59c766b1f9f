package probes

import "context"

// stopKey carries the early-stop signal of a run in the checks' context.
type stopKey struct{}

// WithStop returns ctx carrying stop: a channel closed when whoever started
// the run says open-ended waits (a far trace half's capture) may end now.
// Unlike cancelling ctx, it asks a check to finish and report what it has.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// Stop is the early-stop signal of ctx, or nil (never closes) when the run
// has none.
func Stop(ctx context.Context) <-chan struct{} {
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	return stop
}
