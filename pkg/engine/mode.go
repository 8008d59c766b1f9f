package engine

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// Modes (--mode) and the report's Mode values.
const (
	// ModeAuto runs the pod view, adds the node view when a check fails or
	// with Deep, and falls back to node mode when no agent can join the pod.
	ModeAuto = "auto"
	// ModePod is the ephemeral agent in the source pod only.
	ModePod = "pod"
	// ModeNode is node agents only: the pod's checks run from its node in its netns.
	ModeNode = "node"
	// ModePodNode is the report's mode when auto added the node view.
	ModePodNode = "pod+node"
)

// Modes lists the values --mode accepts.
func Modes() []string { return []string{ModeAuto, ModePod, ModeNode} }

// mirrorAnnotation marks a static pod's mirror in the API: ephemeral
// containers cannot be added to it.
const mirrorAnnotation = corev1.MirrorPodAnnotationKey

func (c Config) mode() string {
	if c.Mode == "" {
		return ModeAuto
	}
	return c.Mode
}

func (c Config) validateMode() error {
	switch c.mode() {
	case ModeAuto, ModePod, ModeNode:
	default:
		return fmt.Errorf("--mode %q: want %s", c.Mode, strings.Join(Modes(), ", "))
	}
	if c.Source.Kind == target.SourceNode {
		switch {
		case c.mode() == ModePod:
			return fmt.Errorf("node/%s runs the node checks from a node pod: --mode pod cannot", c.Source.Name)
		case len(c.Targets) > 0:
			return fmt.Errorf("node/%s checks the node itself: --to needs a source pod", c.Source.Name)
		}
	}
	if c.mode() == ModePod && c.Deep {
		return fmt.Errorf("--deep adds the node view, which --mode pod rules out")
	}
	return nil
}

// startMode is the mode the report starts in: node mode is decided by the flag,
// everything else starts with the pod view.
func (r *run) startMode() string {
	if r.cfg.mode() == ModeNode {
		return ModeNode
	}
	return ModePod
}

// skipAgent says why no ephemeral agent should be tried in pod ("" to try):
// node mode needs none, and in auto mode a static pod cannot take one.
func (r *run) skipAgent(pod *corev1.Pod) string {
	switch {
	case r.cfg.mode() == ModeNode:
		return "--mode node"
	case r.cfg.mode() == ModeAuto && pod.Annotations[mirrorAnnotation] != "":
		return fmt.Sprintf("pod %s/%s is a static pod (mirror of the kubelet's manifest): ephemeral containers cannot be added to it", pod.Namespace, pod.Name)
	}
	return ""
}

// fallbackReason says, in auto mode, why the run goes on in node mode after
// the pod view could not start: the agent was skipped, the cluster has no
// ephemeral containers, or policy rejected the root agent. Other errors (RBAC,
// a missing pod, the image) would stop node mode too, so they stay errors.
func (r *run) fallbackReason(res resolved, err error) (string, bool) {
	if r.cfg.mode() != ModeAuto || res.report == nil || res.source == nil {
		return "", false
	}
	if err == nil {
		return res.noAgent, res.noAgent != ""
	}
	if res.launchErr == nil || !errors.Is(err, res.launchErr) {
		return "", false // resolution failed: nothing to fall back to
	}
	var patch *launch.PatchError
	var agentErr *launch.AgentError
	var status apierrors.APIStatus
	switch {
	case errors.As(err, &patch) && apierrors.IsNotFound(err) && errors.As(err, &status) &&
		(status.Status().Details == nil || status.Status().Details.Name == ""):
		return "ephemeral containers are unavailable (the pods/ephemeralcontainers subresource is missing)", true
	case kube.IsPodSecurityRejection(err):
		return fmt.Sprintf("the Pod Security admission of namespace %s rejected the root agent (%s)", res.source.Namespace, podSecurityLevel(err)), true
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "admission webhook"):
		return "an admission policy rejected the ephemeral agent: " + err.Error(), true
	case apierrors.IsInvalid(err) && errors.As(err, &patch):
		return "the API server refused the ephemeral agent: " + err.Error(), true
	case errors.As(err, &agentErr) && (strings.Contains(agentErr.Message, "non-root") || strings.Contains(agentErr.Message, "runAsNonRoot")):
		return fmt.Sprintf("the pod forbids root (%s: %s), which the agent needs", agentErr.Reason, agentErr.Message), true
	}
	return "", false
}

// podSecurityLevel is "restricted:latest" from a Pod Security rejection.
func podSecurityLevel(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, `violates PodSecurity "`); i >= 0 {
		rest := msg[i+len(`violates PodSecurity "`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return "level " + rest[:j]
		}
	}
	return "policy"
}

// deepReason says why auto mode adds the node view to a finished pod view:
// --deep, or checks that failed ("" for neither).
func (r *run) deepReason() string {
	if r.cfg.mode() != ModeAuto {
		return ""
	}
	if r.cfg.Deep {
		return "--deep"
	}
	if r.cfg.NoFollowUps {
		return "" // failures are what the caller expects (a path meant to be blocked)
	}
	var failed []string
	for _, res := range r.report.Results {
		if res.Status == v1alpha1.StatusFail {
			failed = append(failed, res.ID)
		}
	}
	switch len(failed) {
	case 0:
		return ""
	case 1:
		return "check " + failed[0] + " failed"
	}
	return fmt.Sprintf("%d checks failed (%s, ...)", len(failed), failed[0])
}
