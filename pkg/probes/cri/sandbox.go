package cri

import "time"

// SandboxReady is the CRI state of a running sandbox.
const SandboxReady = "SANDBOX_READY"

// Sandbox is a pod sandbox as the runtime knows it: the thing that owns a pod's
// network namespace.
type Sandbox struct {
	ID        string
	Namespace string
	Name      string
	UID       string
	// State is "SANDBOX_READY" or "SANDBOX_NOTREADY".
	State     string
	CreatedAt time.Time
	// NetNSPath is the network namespace path on the node ("" for hostNetwork
	// pods, or when the runtime already closed the namespace).
	NetNSPath string
	// PID is the sandbox (pause) process, 0 when there is none (CRI-O without
	// infra container, stopped sandbox).
	PID int
	// StatusError says why the verbose status could not be read; ID and metadata
	// are still valid.
	StatusError string
}

// Ready is true for a running sandbox.
func (s Sandbox) Ready() bool { return s.State == SandboxReady }
