package engine

import (
	"io"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// stopLine is the stdin of a far halves' exec (ProbeRequest.StopOnStdin): it
// blocks until stop closes (the sender is done), then reads as the line
// v1alpha1.StopLine, then ends once the exec has ended. Ending only then
// keeps the probe from reading the end of stdin as a second, weaker signal
// during its linger; ending without the line when the exec ended first
// writes nothing to a closed stream, which client-go would log as an error.
type stopLine struct {
	stop, ended <-chan struct{}
	rest        []byte
	told        bool
}

func newStopLine(stop, ended <-chan struct{}) *stopLine {
	return &stopLine{stop: stop, ended: ended}
}

// Read implements io.Reader; client-go calls it from one goroutine.
func (s *stopLine) Read(p []byte) (int, error) {
	if !s.told {
		select {
		case <-s.stop:
			s.told, s.rest = true, []byte(v1alpha1.StopLine+"\n")
		case <-s.ended:
			return 0, io.EOF
		}
	}
	if len(s.rest) == 0 {
		<-s.ended
		return 0, io.EOF
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}
