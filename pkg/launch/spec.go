package launch

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// AgentPrefix starts the name of every agent container and node pod, so a later
// run can recognise (and reuse) an agent it did not create itself.
const AgentPrefix = "netcheck-"

// DefaultIdleTimeout is how long an agent waits for work before exiting. An
// ephemeral container cannot be removed, so the agent removes its own process.
const DefaultIdleTimeout = 15 * time.Minute

// ProbeBinary is the probe's path in the image.
const ProbeBinary = "/netcheck-probe"

// AgentSpec is what every agent container shares, in pod or node mode.
type AgentSpec struct {
	// Name of the container (pod mode) or the pod (node mode); see AgentName.
	Name            string
	Image           string
	ImagePullPolicy corev1.PullPolicy
	IdleTimeout     time.Duration
	// ActiveDeadline bounds a node pod's life (activeDeadlineSeconds), a safety
	// net for a run that could not delete its pod; 0 means
	// DefaultNodePodDeadline. Ephemeral containers have no such field.
	ActiveDeadline time.Duration
	// ImagePullSecrets (--image-pull-secret) go into a node pod's spec; an
	// ephemeral agent uses its pod's own, so the pod must list them (CheckPullSecrets).
	ImagePullSecrets []string
}

// Node pods: the agent idles out sooner than an ephemeral one (nothing reuses
// it), and the kubelet kills the pod at its deadline whatever it is doing.
const (
	NodeAgentIdleTimeout   = 10 * time.Minute
	DefaultNodePodDeadline = 30 * time.Minute
)

// AgentCommand is the long-lived agent process the plugin later execs `run` next to.
func AgentCommand(idle time.Duration) []string {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return []string{ProbeBinary, "agent", "--idle-timeout", shortDuration(idle)}
}

// RunCommand is the exec that runs one request in a running agent's container.
func RunCommand(requestB64 string) []string {
	return []string{ProbeBinary, "run", "--request-b64", requestB64}
}

// shortDuration prints 15m rather than 15m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var notNameChars = regexp.MustCompile(`[^a-z0-9-]+`)

// AgentName is netcheck-<tag>-<suffix>, with the image tag made a valid DNS label
// ("v1.2.3+dirty" -> "v1-2-3-dirty") and the whole name kept within 63 characters.
func AgentName(tag, suffix string) string {
	tag = strings.Trim(notNameChars.ReplaceAllString(strings.ToLower(tag), "-"), "-")
	if tag == "" {
		tag = "probe"
	}
	maxTag := 63 - len(AgentPrefix) - 1 - len(suffix)
	if len(tag) > maxTag {
		tag = strings.TrimRight(tag[:maxTag], "-")
	}
	return AgentPrefix + tag + "-" + suffix
}

// NodePodName is netcheck-<node>-<suffix>, kept within 63 characters.
func NodePodName(node, suffix string) string {
	node = strings.Trim(notNameChars.ReplaceAllString(strings.ToLower(node), "-"), "-")
	if node == "" {
		node = "node"
	}
	maxNode := 63 - len(AgentPrefix) - 1 - len(suffix)
	if len(node) > maxNode {
		node = strings.TrimRight(node[:maxNode], "-")
	}
	return fmt.Sprintf("%s%s-%s", AgentPrefix, node, suffix)
}
