package launch

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// ManagedByLabel marks the node pods netcheck creates, so they can be listed and cleaned up.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "kubectl-netcheck"
	// NodeLabel names the node a node pod checks, for `kubectl get pods -l`.
	NodeLabel = "netcheck.kubectl.io/node"
)

// WithEphemeralAgent returns a copy of pod with the agent added as an ephemeral
// container that targets targetContainer's process namespace, with profile
// applied. The original pod is not modified: the caller patches the difference.
func WithEphemeralAgent(pod *corev1.Pod, spec AgentSpec, targetContainer string, profile Profile) (*corev1.Pod, error) {
	if err := CheckPullSecrets(pod, spec.ImagePullSecrets); err != nil {
		return nil, err
	}
	out := pod.DeepCopy()
	out.Spec.EphemeralContainers = append(out.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name:                     spec.Name,
			Image:                    spec.Image,
			ImagePullPolicy:          spec.ImagePullPolicy,
			Command:                  AgentCommand(spec.IdleTimeout),
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		},
		TargetContainerName: targetContainer,
	})
	if err := profile.Apply(out, spec.Name); err != nil {
		return nil, fmt.Errorf("apply %s profile: %w", profile.Name(), err)
	}
	return out, nil
}

// NodeAgentContainer is the container name inside a node pod.
const NodeAgentContainer = "probe"

// NodeAgentPod builds the pod that runs the agent on node (node mode): pinned
// to the node, never restarted, no API token (the probe never talks to the
// API), killed by the kubelet at its active deadline should the run that made
// it fail to delete it, with profile applied to its one container.
func NodeAgentPod(namespace, node string, spec AgentSpec, profile Profile) (*corev1.Pod, error) {
	deadline := spec.ActiveDeadline
	if deadline <= 0 {
		deadline = DefaultNodePodDeadline
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      spec.Name,
			Namespace: namespace,
			Labels:    map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: nodeLabelValue(node)},
		},
		Spec: corev1.PodSpec{
			NodeName:                     node,
			RestartPolicy:                corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:        ptr.To(int64(deadline.Seconds())),
			AutomountServiceAccountToken: ptr.To(false),
			ImagePullSecrets:             PullSecretRefs(spec.ImagePullSecrets),
			Containers: []corev1.Container{{
				Name:                     NodeAgentContainer,
				Image:                    spec.Image,
				ImagePullPolicy:          spec.ImagePullPolicy,
				Command:                  AgentCommand(spec.IdleTimeout),
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}},
		},
	}
	if err := profile.Apply(pod, NodeAgentContainer); err != nil {
		return nil, fmt.Errorf("apply %s profile: %w", profile.Name(), err)
	}
	return pod, nil
}

// nodeLabelValue is node as a label value (at most 63 characters; node names
// can be longer DNS subdomains).
func nodeLabelValue(node string) string {
	if len(node) > 63 {
		node = strings.TrimRight(node[:63], ".-_")
	}
	return node
}

// NonRootWarning explains, before launch, that the pod asks for non-root while
// the agent needs root. The agent overrides runAsNonRoot for itself only, which
// kubelet allows; an admission policy (Pod Security "restricted", Kyverno,
// Gatekeeper) may still reject it, and this says what to do then.
func NonRootWarning(pod *corev1.Pod, targetContainer string) string {
	where := ""
	if sc := pod.Spec.SecurityContext; sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot {
		where = "pod " + pod.Name
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == targetContainer && c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil && *c.SecurityContext.RunAsNonRoot {
			where = fmt.Sprintf("container %s of pod %s", c.Name, pod.Name)
		}
	}
	if where == "" {
		return ""
	}
	return fmt.Sprintf("%s sets runAsNonRoot: true, but the agent needs root for NET_RAW/NET_ADMIN; it overrides "+
		"runAsNonRoot for its own container only. If a policy rejects that, check from the node (node mode) or exempt "+
		"this namespace from the policy", where)
}
