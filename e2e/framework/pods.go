package framework

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Echo server ports in EchoPod.
const (
	EchoHTTPPort = 8080
	EchoTCPPort  = 9000
	EchoUDPPort  = 9000
)

// EchoPod is a pod running the echo server, pinned to node. With no args it
// serves HTTP on :8080 and TCP and UDP on :9000; pass echoserver flags to
// change that (e.g. "-http", "127.0.0.1:8080" for a loopback-only listener).
// The pod carries the label app=<name>.
func EchoPod(name, node string, args ...string) *corev1.Pod {
	if len(args) == 0 {
		args = []string{"-http", fmt.Sprintf(":%d", EchoHTTPPort), "-tcp", fmt.Sprintf(":%d", EchoTCPPort), "-udp", fmt.Sprintf(":%d", EchoUDPPort)}
	}
	grace := int64(1)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name:            "echo",
				Image:           lab.EchoImage,
				ImagePullPolicy: corev1.PullNever,
				Args:            args,
				Ports: []corev1.ContainerPort{
					{Name: "http", ContainerPort: EchoHTTPPort, Protocol: corev1.ProtocolTCP},
					{Name: "tcp", ContainerPort: EchoTCPPort, Protocol: corev1.ProtocolTCP},
					{Name: "udp", ContainerPort: EchoUDPPort, Protocol: corev1.ProtocolUDP},
				},
			}},
		},
	}
}

// EchoService is a ClusterIP Service in front of pods labelled app=<app>:
// port 80 -> 8080 (HTTP), 9000/TCP and 9000/UDP.
func EchoService(name, app string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromInt32(EchoHTTPPort), Protocol: corev1.ProtocolTCP},
				{Name: "tcp", Port: EchoTCPPort, TargetPort: intstr.FromInt32(EchoTCPPort), Protocol: corev1.ProtocolTCP},
				{Name: "udp", Port: EchoUDPPort, TargetPort: intstr.FromInt32(EchoUDPPort), Protocol: corev1.ProtocolUDP},
			},
		},
	}
}

// CreatePod creates pod in namespace and waits until it is Ready; it returns
// the pod as the API last showed it (with IP, node and container IDs).
func (c *Cluster) CreatePod(t testing.TB, namespace string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	ctx := Context(t, 2*time.Minute)
	if _, err := c.Client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s/%s: %v", namespace, pod.Name, err)
	}
	ready, err := c.WaitPodReady(ctx, namespace, pod.Name)
	if err != nil {
		t.Fatal(err)
	}
	return ready
}

// CreateService creates svc and waits until kube-proxy has programmed it on
// every node; it returns the Service (with its ClusterIP).
func (c *Cluster) CreateService(t testing.TB, namespace string, svc *corev1.Service) *corev1.Service {
	t.Helper()
	ctx := Context(t, 2*time.Minute)
	created, err := c.Client.CoreV1().Services(namespace).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service %s/%s: %v", namespace, svc.Name, err)
	}
	if err := c.WaitServiceProgrammed(ctx, namespace, svc.Name, lab.Nodes...); err != nil {
		t.Fatal(err)
	}
	return created
}

// WaitPodReady polls until the pod is Ready. It gives up early, with the
// reason, when the pod cannot become Ready (failed, image not present).
func (c *Cluster) WaitPodReady(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	var last string
	for {
		pod, err := c.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		switch {
		case err != nil:
			last = err.Error()
		case isReady(pod):
			return pod, nil
		case pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded:
			return nil, fmt.Errorf("pod %s/%s ended (%s) instead of becoming Ready: %s", namespace, name, pod.Status.Phase, pod.Status.Message)
		default:
			last = waitingReason(pod)
			if strings.Contains(last, "ErrImageNeverPull") || strings.Contains(last, "InvalidImageName") {
				return nil, fmt.Errorf("pod %s/%s cannot start: %s", namespace, name, last)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pod %s/%s not Ready: %s (%w)", namespace, name, last, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func waitingReason(p *corev1.Pod) string {
	for _, s := range p.Status.ContainerStatuses {
		if w := s.State.Waiting; w != nil {
			return fmt.Sprintf("container %s waiting: %s %s", s.Name, w.Reason, w.Message)
		}
	}
	return "phase " + string(p.Status.Phase)
}

// WaitEphemeralRunning polls until the named ephemeral container of a pod runs.
func (c *Cluster) WaitEphemeralRunning(ctx context.Context, namespace, pod, name string) error {
	var last string
	for {
		p, err := c.Client.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
		} else {
			last = "no status yet"
			for _, s := range p.Status.EphemeralContainerStatuses {
				if s.Name != name {
					continue
				}
				switch {
				case s.State.Running != nil:
					return nil
				case s.State.Terminated != nil:
					return fmt.Errorf("ephemeral container %s in %s/%s exited: %s", name, namespace, pod, s.State.Terminated.Reason)
				case s.State.Waiting != nil:
					last = s.State.Waiting.Reason + " " + s.State.Waiting.Message
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ephemeral container %s in %s/%s not running: %s (%w)", name, namespace, pod, last, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
