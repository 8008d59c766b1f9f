package probes

import "testing"

// A far half whose stop was abandoned (the plugin hung up) ends early too,
// but does not claim the sender was done: the plugin then judges its end by
// the clocks.
func TestAbandonedStopIsNotARequest(t *testing.T) {
	s := NewStop()
	s.Abandon()
	s.Request() // too late: the stop already fired
	if _, open := <-s.Done(); open || s.Requested() {
		t.Errorf("an abandoned stop reads as requested")
	}
	r := NewStop()
	r.Request()
	r.Abandon()
	if _, open := <-r.Done(); open || !r.Requested() {
		t.Errorf("a requested stop does not read as requested")
	}
}
