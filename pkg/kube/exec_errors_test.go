package kube

import (
	"errors"
	"fmt"
	"testing"
)

func TestContainerNotStarted(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		// As the lab cluster answers an exec into an ephemeral container the
		// runtime does not run yet (WebSocket, then the SPDY fallback).
		{errors.New(`exec into ns/client (netcheck-dev-x): Internal error occurred: unable to upgrade connection: container not found ("netcheck-dev-x")`), true},
		{fmt.Errorf("probe run in ns/client: %w", errors.New(`unable to upgrade connection: container not found ("netcheck-dev-x")`)), true},
		{errors.New(`pods "client" not found`), false},
		{errors.New("the probe stopped before it finished"), false},
		{nil, false},
	} {
		if got := ContainerNotStarted(tc.err); got != tc.want {
			t.Errorf("ContainerNotStarted(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestAgentGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("probe run in ns/client (a): %w", ErrNoOutput), true},
		// As the lab cluster answers an exec into an agent whose process exited.
		{errors.New(`Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "e38a": OCI runtime exec failed: exec failed: cannot exec in a stopped container: unknown`), true},
		{errors.New(`unable to upgrade connection: container not found ("a")`), false},
		{nil, false},
	} {
		if got := AgentGone(tc.err); got != tc.want {
			t.Errorf("AgentGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
