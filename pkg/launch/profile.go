// Package launch builds and starts the probe agent: pure builders make the
// ephemeral container (pod mode) and the node pod (node mode) with a privilege
// profile applied, and the lifecycle code finds a reusable agent, adds a new one
// through the ephemeralcontainers subresource, and waits until it runs.
package launch

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Profile grants the agent container the privileges its checks need, like
// kubectl debug's ProfileApplier: one type per privilege level, applied to the
// named container of an already built pod.
type Profile interface {
	Name() string
	Apply(pod *corev1.Pod, containerName string) error
}

// agentCapabilities are what the probe needs in the pod's own network namespace:
// raw sockets for ICMP and path-MTU, netlink and socket options for netinfo.
var agentCapabilities = []corev1.Capability{"NET_ADMIN", "NET_RAW"}

// PodProfile is the ephemeral agent's profile: NET_RAW and NET_ADMIN as root.
// Root is explicit (runAsUser 0, runAsNonRoot false) because added capabilities
// are not effective for a non-root user, and the image's user must not decide.
type PodProfile struct{}

func (PodProfile) Name() string { return "pod" }

func (PodProfile) Apply(pod *corev1.Pod, containerName string) error {
	for i := range pod.Spec.EphemeralContainers {
		ec := &pod.Spec.EphemeralContainers[i]
		if ec.Name == containerName {
			ec.SecurityContext = &corev1.SecurityContext{
				Capabilities: &corev1.Capabilities{Add: append([]corev1.Capability(nil), agentCapabilities...)},
				RunAsUser:    ptr.To[int64](0),
				RunAsNonRoot: ptr.To(false),
			}
			return nil
		}
	}
	return fmt.Errorf("pod profile: pod %s has no ephemeral container %q", pod.Name, containerName)
}

// NodeProfile is the node pod's profile: the host's network and PID namespaces
// (to see the node's interfaces and enter every pod's netns), privileged (setns
// and other processes' namespaces need CAP_SYS_ADMIN and CAP_SYS_PTRACE), and a
// toleration for every taint so tainted nodes can be checked too.
type NodeProfile struct{}

func (NodeProfile) Name() string { return "node" }

func (NodeProfile) Apply(pod *corev1.Pod, containerName string) error {
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if c.Name == containerName {
			pod.Spec.HostNetwork = true
			pod.Spec.HostPID = true
			pod.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
			pod.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
			c.SecurityContext = &corev1.SecurityContext{
				Privileged:   ptr.To(true),
				RunAsUser:    ptr.To[int64](0),
				RunAsNonRoot: ptr.To(false),
			}
			return nil
		}
	}
	return fmt.Errorf("node profile: pod %s has no container %q", pod.Name, containerName)
}
