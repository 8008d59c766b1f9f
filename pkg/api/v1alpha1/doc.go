// Package v1alpha1 is the one wire schema shared by the kubectl-netcheck plugin and
// the netcheck-probe agent: what the plugin asks the probe to do (ProbeRequest),
// what the probe streams back (Event, one JSON object per line), the evidence
// each check gathers, and the final Report the plugin prints.
//
// Both sides stamp APIVersion on every object, so a plugin talking to a probe of a
// different schema version sees the mismatch instead of misreading fields.
// Compatible additions (new optional fields) keep the version; anything that
// changes the meaning of an existing field bumps it.
package v1alpha1

// APIVersion is the group/version stamped on every wire object.
const APIVersion = "netcheck.kubectl.io/v1alpha1"

// Kinds of the top-level wire objects.
const (
	KindProbeRequest = "ProbeRequest"
	KindEvent        = "Event"
	KindReport       = "Report"
)
