package resolve

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// pod resolves pod/NAME[:PORT]: its IPs, node and port (a number, a container
// port name, or the first declared container port).
func (r *Resolver) pod(ctx context.Context, spec target.Spec) (v1alpha1.Target, error) {
	ns := r.namespaceOr(spec.Namespace)
	pod, err := r.Client.CoreV1().Pods(ns).Get(ctx, spec.Name, metav1.GetOptions{})
	if err != nil {
		return v1alpha1.Target{}, fmt.Errorf("target %s: get pod %s/%s: %w", spec.Raw, ns, spec.Name, err)
	}
	if err := checkRunning(pod); err != nil {
		return v1alpha1.Target{}, fmt.Errorf("target %s: %w", spec.Raw, err)
	}
	t := v1alpha1.Target{
		Spec: spec.Raw, Kind: string(target.KindPod), Namespace: ns, Name: pod.Name,
		IPs: podIPs(pod), Node: pod.Spec.NodeName, Pod: pod.Name,
	}
	if len(t.IPs) == 0 {
		return v1alpha1.Target{}, fmt.Errorf("target %s: pod %s/%s has no IP yet", spec.Raw, ns, pod.Name)
	}
	cp, ok, err := ContainerPort(pod, spec.Port)
	if err != nil {
		return v1alpha1.Target{}, fmt.Errorf("target %s: %w", spec.Raw, err)
	}
	if ok {
		t.Port, t.PortName, t.Protocol = int(cp.ContainerPort), cp.Name, string(cp.Protocol)
		if t.Protocol == "" {
			t.Protocol = string(corev1.ProtocolTCP)
		}
	}
	return t, nil
}

// ContainerPort resolves want against the pod's declared container ports. A
// number needs no declaration (ports need not be declared to be served); a name
// must be declared; "" takes the first declared port, and ok is false when
// there is none (then only ICMP can run).
func ContainerPort(pod *corev1.Pod, want string) (port corev1.ContainerPort, ok bool, err error) {
	if n, convErr := strconv.Atoi(want); convErr == nil {
		for _, c := range pod.Spec.Containers {
			for _, cp := range c.Ports {
				if int(cp.ContainerPort) == n {
					return cp, true, nil
				}
			}
		}
		return corev1.ContainerPort{ContainerPort: int32(n), Protocol: corev1.ProtocolTCP}, true, nil
	}
	var declared []string
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if want == "" || cp.Name == want {
				return cp, true, nil
			}
			if cp.Name != "" {
				declared = append(declared, cp.Name)
			}
		}
	}
	if want == "" {
		return corev1.ContainerPort{}, false, nil
	}
	return corev1.ContainerPort{}, false, fmt.Errorf("pod %s/%s declares no port named %q (named ports: %v)", pod.Namespace, pod.Name, want, declared)
}

// ip resolves a literal IP and, when it is a pod's IP, names that pod so a
// refused connection can be followed up inside it. Listing pods across
// namespaces may be forbidden; the target then stays a bare address.
func (r *Resolver) ip(ctx context.Context, spec target.Spec) (v1alpha1.Target, error) {
	port, _ := spec.PortNumber()
	t := v1alpha1.Target{Spec: spec.Raw, Kind: string(target.KindIP), IPs: []string{spec.IP.String()}, Port: port}
	if port > 0 {
		t.Protocol = string(corev1.ProtocolTCP)
	}
	list, err := r.Client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("status.podIP", spec.IP.String()).String(),
	})
	if err != nil {
		return t, nil //nolint:nilerr // the owner of an IP is a nicety, not a requirement
	}
	if pod := PodWithIP(list.Items, spec.IP.String()); pod != nil {
		t.Namespace, t.Name, t.Pod, t.Node = pod.Namespace, pod.Name, pod.Name, pod.Spec.NodeName
	}
	return t, nil
}

// PodWithIP finds the running, non-hostNetwork pod that owns ip; hostNetwork
// pods share their node's IP, so such an IP names a node, not a pod.
func PodWithIP(pods []corev1.Pod, ip string) *corev1.Pod {
	for i := range pods {
		p := &pods[i]
		if p.Spec.HostNetwork || checkRunning(p) != nil {
			continue
		}
		for _, pip := range podIPs(p) {
			if pip == ip {
				return p
			}
		}
	}
	return nil
}
