package v1alpha1

import (
	"encoding/json"
	"fmt"
	"time"
)

// EventType says what an Event carries.
type EventType string

const (
	// EventHello is the first event of every probe run: who is answering.
	EventHello EventType = "hello"
	// EventStarted: a check began.
	EventStarted EventType = "started"
	// EventProgress: a check has something to say before it ends.
	EventProgress EventType = "progress"
	// EventResult: a check ended; Result is set.
	EventResult EventType = "result"
	// EventError: the probe could not run the request (bad request, ...).
	EventError EventType = "error"
	// EventDone: the last event of a run.
	EventDone EventType = "done"
)

// Event is one line of the probe's NDJSON output stream.
type Event struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Type       EventType `json:"type"`
	Time       time.Time `json:"time"`
	// CheckID ties the event to a CheckSpec.ID.
	CheckID string       `json:"checkID,omitempty"`
	Message string       `json:"message,omitempty"`
	Hello   *Hello       `json:"hello,omitempty"`
	Result  *CheckResult `json:"result,omitempty"`
}

// Hello identifies the probe that answers.
type Hello struct {
	ProbeVersion string `json:"probeVersion"`
	Hostname     string `json:"hostname,omitempty"`
	PID          int    `json:"pid"`
	// Checks are the check names this probe knows.
	Checks []string `json:"checks"`
}

// NewEvent stamps APIVersion, Kind and Time.
func NewEvent(t EventType) Event {
	return Event{APIVersion: APIVersion, Kind: KindEvent, Type: t, Time: time.Now().UTC()}
}

// NewProbeRequest stamps APIVersion and Kind.
func NewProbeRequest(checks ...CheckSpec) ProbeRequest {
	return ProbeRequest{APIVersion: APIVersion, Kind: KindProbeRequest, Checks: checks}
}

// VersionError reports a wire object of another schema version.
type VersionError struct {
	Kind string
	Got  string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s has apiVersion %q, this side speaks %q: the plugin and probe versions differ; "+
		"use the probe image that matches the plugin (kubectl netcheck image)", e.Kind, e.Got, APIVersion)
}

// DecodeEvent parses one NDJSON line and rejects events of another schema version.
func DecodeEvent(line []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return Event{}, fmt.Errorf("decode probe event: %w", err)
	}
	if ev.APIVersion != APIVersion {
		return Event{}, &VersionError{Kind: KindEvent, Got: ev.APIVersion}
	}
	return ev, nil
}

// DecodeProbeRequest parses a request and rejects one of another schema version.
func DecodeProbeRequest(data []byte) (ProbeRequest, error) {
	var req ProbeRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return ProbeRequest{}, fmt.Errorf("decode probe request: %w", err)
	}
	if req.APIVersion != APIVersion {
		return ProbeRequest{}, &VersionError{Kind: KindProbeRequest, Got: req.APIVersion}
	}
	return req, nil
}
