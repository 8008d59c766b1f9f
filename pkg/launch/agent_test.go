package launch

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

const testImage = "localhost/netcheck/netcheck-probe:dev"

func withAgentStatus(pod *corev1.Pod, name, image string, state corev1.ContainerState) *corev1.Pod {
	pod = pod.DeepCopy()
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image},
	})
	pod.Status.EphemeralContainerStatuses = append(pod.Status.EphemeralContainerStatuses,
		corev1.ContainerStatus{Name: name, Image: image, State: state})
	return pod
}

// withAgentSpec adds an agent the kubelet has not reported on yet.
func withAgentSpec(pod *corev1.Pod, name, image string) *corev1.Pod {
	pod = pod.DeepCopy()
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image},
	})
	return pod
}

var (
	creating   = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	running    = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	terminated = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}
)

func TestReusableAgent(t *testing.T) {
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"none", appPod(), ""},
		{"running same image", withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage, running), "netcheck-dev-aaaaa"},
		{"idled out", withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage, terminated), ""},
		{"other image", withAgentStatus(appPod(), "netcheck-1-0-0-aaaaa", "ghcr.io/x/netcheck-probe:1.0.0", running), ""},
		{"not ours", withAgentStatus(appPod(), "debugger-aaaaa", testImage, running), ""},
		{"second of two", withAgentStatus(withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage, terminated),
			"netcheck-dev-bbbbb", testImage, running), "netcheck-dev-bbbbb"},
		// Added by a run that did not wait for the kubelet's report.
		{"starting, not reported yet", withAgentSpec(appPod(), "netcheck-dev-aaaaa", testImage), "netcheck-dev-aaaaa (starting)"},
		{"creating", withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage, creating), "netcheck-dev-aaaaa (starting)"},
		{"running wins over starting", withAgentStatus(withAgentSpec(appPod(), "netcheck-dev-aaaaa", testImage),
			"netcheck-dev-bbbbb", testImage, running), "netcheck-dev-bbbbb"},
		{"image missing: not reusable", withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage,
			corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, starting, ok := ReusableAgent(tc.pod, testImage)
			got := name
			if starting {
				got += " (starting)"
			}
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("ReusableAgent = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func TestAgentState(t *testing.T) {
	waiting := func(reason, msg string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	}
	for _, tc := range []struct {
		name    string
		state   corev1.ContainerState
		running bool
		wantErr string
	}{
		{name: "running", state: running, running: true},
		{name: "creating", state: waiting("ContainerCreating", "")},
		{name: "never pull", state: waiting("ErrImageNeverPull", `Container image "x" is not present with pull policy of Never`),
			wantErr: "image " + testImage + " is not present on node node1 (ErrImageNeverPull); load it onto the node or use --image"},
		{name: "backoff", state: waiting("ImagePullBackOff", "Back-off pulling image"),
			wantErr: "is not present on node node1 (ImagePullBackOff)"},
		{name: "create error", state: waiting("CreateContainerConfigError", "container has runAsNonRoot and image will run as root"),
			wantErr: "CreateContainerConfigError: container has runAsNonRoot and image will run as root; the agent needs root: check from the node (node mode)"},
		{name: "wrong image", state: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "StartError", ExitCode: 128, Message: `exec: "/netcheck-probe": stat /netcheck-probe: no such file or directory`}},
			wantErr: "StartError: exited with code 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage, tc.state)
			ok, err := AgentState(pod, "netcheck-dev-aaaaa")
			if ok != tc.running {
				t.Errorf("running = %v, want %v", ok, tc.running)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// kubeletStarts plays kubelet in the fake clientset: once the agent is patched in,
// it reports the container with state.
func kubeletStarts(t *testing.T, client *fake.Clientset, ns, pod string, state corev1.ContainerState) {
	t.Helper()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for ctx.Err() == nil {
			p, err := client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
			if err == nil && len(p.Spec.EphemeralContainers) > 0 {
				ec := p.Spec.EphemeralContainers[len(p.Spec.EphemeralContainers)-1]
				p.Status.EphemeralContainerStatuses = append(p.Status.EphemeralContainerStatuses,
					corev1.ContainerStatus{Name: ec.Name, Image: ec.Image, State: state})
				if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err == nil {
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

func TestEnsureEphemeralAgent(t *testing.T) {
	spec := AgentSpec{Name: "netcheck-dev-xxxxx", Image: testImage, ImagePullPolicy: corev1.PullNever}

	t.Run("adds and waits", func(t *testing.T) {
		pod := appPod()
		client := fake.NewClientset(pod)
		kubeletStarts(t, client, "default", "client", running)
		l := &Launcher{Client: client, Timeout: 5 * time.Second}
		agent, err := l.EnsureEphemeralAgent(context.Background(), pod, spec, "app")
		if err != nil {
			t.Fatal(err)
		}
		if agent.Container != spec.Name || agent.Reused || agent.Pod != "client" || agent.Node != "node1" {
			t.Errorf("agent = %+v", agent)
		}
		var patched bool
		for _, a := range client.Actions() {
			if a.GetVerb() == "patch" && a.GetSubresource() == "ephemeralcontainers" {
				patched = true
			}
		}
		if !patched {
			t.Errorf("no patch of the ephemeralcontainers subresource in %v", client.Actions())
		}
		got, _ := client.CoreV1().Pods("default").Get(context.Background(), "client", metav1.GetOptions{})
		if n := len(got.Spec.EphemeralContainers); n != 1 || got.Spec.EphemeralContainers[0].TargetContainerName != "app" {
			t.Errorf("pod has %d ephemeral containers: %+v", n, got.Spec.EphemeralContainers)
		}
	})

	t.Run("reuses a running agent", func(t *testing.T) {
		pod := withAgentStatus(appPod(), "netcheck-dev-aaaaa", testImage, running)
		client := fake.NewClientset(pod)
		l := &Launcher{Client: client}
		agent, err := l.EnsureEphemeralAgent(context.Background(), pod, spec, "app")
		if err != nil {
			t.Fatal(err)
		}
		if !agent.Reused || agent.Container != "netcheck-dev-aaaaa" {
			t.Errorf("agent = %+v, want the running one reused", agent)
		}
		if n := len(client.Actions()); n != 0 {
			t.Errorf("reuse made %d API calls: %v", n, client.Actions())
		}
	})

	t.Run("image missing fails fast", func(t *testing.T) {
		pod := appPod()
		client := fake.NewClientset(pod)
		kubeletStarts(t, client, "default", "client", corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}})
		l := &Launcher{Client: client, Timeout: 5 * time.Second}
		start := time.Now()
		_, err := l.EnsureEphemeralAgent(context.Background(), pod, spec, "app")
		if err == nil || !strings.Contains(err.Error(), "is not present on node node1") {
			t.Fatalf("error = %v", err)
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("took %s: waited for the timeout instead of failing on the waiting reason", time.Since(start))
		}
	})

	t.Run("start returns before the agent runs", func(t *testing.T) {
		pod := appPod()
		client := fake.NewClientset(pod)
		l := &Launcher{Client: client, Timeout: 5 * time.Second}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		agent, err := l.StartEphemeralAgent(ctx, pod, spec, "app")
		if err != nil {
			t.Fatal(err)
		}
		if agent.Startup == nil || agent.Container != spec.Name {
			t.Fatalf("agent = %+v, want the new one with its Startup", agent)
		}
		select {
		case <-agent.Startup.Done():
			t.Fatalf("Startup done (%v) before any kubelet reported the agent", agent.Startup.Err())
		case <-time.After(50 * time.Millisecond):
		}
		kubeletStarts(t, client, "default", "client", running)
		if err := agent.Startup.Wait(ctx); err != nil {
			t.Errorf("Startup = %v once the agent runs", err)
		}
	})

	t.Run("times out", func(t *testing.T) {
		pod := appPod()
		client := fake.NewClientset(pod)
		l := &Launcher{Client: client, Timeout: 200 * time.Millisecond}
		_, err := l.EnsureEphemeralAgent(context.Background(), pod, spec, "app")
		if err == nil || !strings.Contains(err.Error(), "timed out after 200ms waiting for agent netcheck-dev-xxxxx") {
			t.Fatalf("error = %v", err)
		}
	})
}
