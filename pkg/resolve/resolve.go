// Package resolve turns parsed SOURCE and --to specs into facts read from the API:
// the source pod, each target's addresses and ports, a Service's ready endpoints
// (with their pods and nodes), its selector and the pods it selects, and the
// CoreDNS endpoints. It only reads; it never decides whether a fact is a fault
// (that is pkg/diagnose's job).
package resolve

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

// Resolver reads from one cluster; Namespace is the -n namespace used for every
// spec that does not name its own.
type Resolver struct {
	Client    kubernetes.Interface
	Namespace string
}

// namespaceOr returns ns, or the resolver's namespace when ns is "".
func (r *Resolver) namespaceOr(ns string) string {
	if ns != "" {
		return ns
	}
	return r.Namespace
}

// podIPs lists a pod's IPs, falling back to status.podIP for old API servers.
func podIPs(pod *corev1.Pod) []string {
	var ips []string
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = append(ips, pod.Status.PodIP)
	}
	return ips
}

// isReady reports whether the pod's Ready condition is true.
func isReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// checkRunning explains why a pod cannot be checked from or to.
func checkRunning(pod *corev1.Pod) error {
	if pod.DeletionTimestamp != nil {
		return fmt.Errorf("pod %s/%s is terminating", pod.Namespace, pod.Name)
	}
	if pod.Status.Phase != corev1.PodRunning {
		return fmt.Errorf("pod %s/%s is %s, not Running%s", pod.Namespace, pod.Name, pod.Status.Phase, waitingHint(pod))
	}
	return nil
}

// waitingHint names the first waiting container reason, e.g. " (container app: ImagePullBackOff)".
func waitingHint(pod *corev1.Pod) string {
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return fmt.Sprintf(" (container %s: %s)", cs.Name, w.Reason)
		}
	}
	return ""
}
