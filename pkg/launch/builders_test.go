package launch

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func appPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "client"},
		Spec: corev1.PodSpec{
			NodeName:   "node1",
			Containers: []corev1.Container{{Name: "app", Image: "app:1"}},
		},
	}
}

func TestWithEphemeralAgent(t *testing.T) {
	pod := appPod()
	spec := AgentSpec{Name: "netcheck-dev-abcde", Image: "localhost/netcheck/netcheck-probe:dev", ImagePullPolicy: corev1.PullNever}
	got, err := WithEphemeralAgent(pod, spec, "app", PodProfile{})
	if err != nil {
		t.Fatal(err)
	}
	want := appPod()
	want.Spec.EphemeralContainers = []corev1.EphemeralContainer{{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name:                     "netcheck-dev-abcde",
			Image:                    "localhost/netcheck/netcheck-probe:dev",
			ImagePullPolicy:          corev1.PullNever,
			Command:                  []string{"/netcheck-probe", "agent", "--idle-timeout", "15m"},
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			SecurityContext: &corev1.SecurityContext{
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}},
				RunAsUser:    ptr.To[int64](0),
				RunAsNonRoot: ptr.To(false),
			},
		},
		TargetContainerName: "app",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(pod.Spec.EphemeralContainers) != 0 {
		t.Errorf("WithEphemeralAgent modified its input")
	}
}

func TestNodeAgentPod(t *testing.T) {
	spec := AgentSpec{Name: "netcheck-node2-abcde", Image: "ghcr.io/kubectl-netcheck/netcheck-probe:1.0.0",
		ImagePullPolicy: corev1.PullIfNotPresent, IdleTimeout: time.Hour, ActiveDeadline: 2 * time.Hour,
		ImagePullSecrets: []string{"mirror-creds", "ghcr"}}
	got, err := NodeAgentPod("kube-system", "node2", spec, NodeProfile{})
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "netcheck-node2-abcde", Namespace: "kube-system",
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kubectl-netcheck", "netcheck.kubectl.io/node": "node2"},
		},
		Spec: corev1.PodSpec{
			NodeName:                     "node2",
			RestartPolicy:                corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:        ptr.To[int64](7200),
			AutomountServiceAccountToken: ptr.To(false),
			ImagePullSecrets:             []corev1.LocalObjectReference{{Name: "mirror-creds"}, {Name: "ghcr"}},
			HostNetwork:                  true,
			HostPID:                      true,
			DNSPolicy:                    corev1.DNSClusterFirstWithHostNet,
			Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:                     "probe",
				Image:                    "ghcr.io/kubectl-netcheck/netcheck-probe:1.0.0",
				ImagePullPolicy:          corev1.PullIfNotPresent,
				Command:                  []string{"/netcheck-probe", "agent", "--idle-timeout", "1h"},
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				SecurityContext: &corev1.SecurityContext{
					Privileged: ptr.To(true), RunAsUser: ptr.To[int64](0), RunAsNonRoot: ptr.To(false),
				},
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Without a deadline the default applies; a node name too long for a label is cut.
	long := strings.Repeat("n", 70) + ".example.com"
	got, err = NodeAgentPod("default", long, AgentSpec{Name: "x", Image: "i"}, NodeProfile{})
	if err != nil {
		t.Fatal(err)
	}
	if d := *got.Spec.ActiveDeadlineSeconds; d != int64(DefaultNodePodDeadline.Seconds()) {
		t.Errorf("default activeDeadlineSeconds = %d", d)
	}
	if v := got.Labels[NodeLabel]; len(v) > 63 || got.Spec.NodeName != long {
		t.Errorf("node label %q (%d chars), nodeName %q", v, len(v), got.Spec.NodeName)
	}
}

func TestProfilesNeedTheirContainer(t *testing.T) {
	if err := (PodProfile{}).Apply(appPod(), "missing"); err == nil {
		t.Error("pod profile applied to a missing ephemeral container")
	}
	if err := (NodeProfile{}).Apply(appPod(), "missing"); err == nil {
		t.Error("node profile applied to a missing container")
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{AgentName("dev", "abcde"), "netcheck-dev-abcde"},
		{AgentName("v1.2.3+Dirty", "abcde"), "netcheck-v1-2-3-dirty-abcde"},
		{AgentName("..", "abcde"), "netcheck-probe-abcde"},
		{NodePodName("k8slab-node2", "x1y2z"), "netcheck-k8slab-node2-x1y2z"},
		{NodePodName("Node_1.example.com", "x1y2z"), "netcheck-node-1-example-com-x1y2z"},
		{shortDuration(15 * time.Minute), "15m"},
		{shortDuration(time.Hour), "1h"},
		{shortDuration(90 * time.Second), "1m30s"},
		{shortDuration(10 * time.Second), "10s"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	long := AgentName(strings.Repeat("a", 80), "abcde")
	if len(long) > 63 || !strings.HasSuffix(long, "-abcde") {
		t.Errorf("AgentName(long) = %q (%d chars), want <= 63 ending in the suffix", long, len(long))
	}
	if n := NodePodName(strings.Repeat("n", 80)+".example.com", "abcde"); len(n) > 63 {
		t.Errorf("NodePodName(long) = %q is %d chars", n, len(n))
	}
}

func TestNonRootWarning(t *testing.T) {
	pod := appPod()
	if got := NonRootWarning(pod, "app"); got != "" {
		t.Errorf("warning for a pod without runAsNonRoot: %q", got)
	}
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}
	if got := NonRootWarning(pod, "app"); !strings.HasPrefix(got, "pod client sets runAsNonRoot") || !strings.Contains(got, "node mode") {
		t.Errorf("pod-level warning = %q", got)
	}
	pod = appPod()
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}
	if got := NonRootWarning(pod, "app"); !strings.HasPrefix(got, "container app of pod client sets runAsNonRoot") {
		t.Errorf("container-level warning = %q", got)
	}
}

func BenchmarkWithEphemeralAgent(b *testing.B) {
	pod := appPod()
	spec := AgentSpec{Name: AgentName("dev", "abcde"), Image: "localhost/netcheck/netcheck-probe:dev"}
	for b.Loop() {
		withAgent, err := WithEphemeralAgent(pod, spec, "app", PodProfile{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ephemeralPatch(pod, withAgent); err != nil {
			b.Fatal(err)
		}
	}
}
