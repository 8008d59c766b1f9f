package launch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func nodeSpec() AgentSpec {
	return AgentSpec{Name: NodePodName("node2", "abcde"), Image: testImage, ImagePullPolicy: corev1.PullNever,
		IdleTimeout: NodeAgentIdleTimeout}
}

// nodeKubelet plays the kubelet for node pods: once the pod exists, it reports
// its phase and agent container state.
func nodeKubelet(t *testing.T, client *fake.Clientset, ns string, phase corev1.PodPhase, state corev1.ContainerState) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil {
			list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil && len(list.Items) > 0 {
				p := &list.Items[0]
				p.Status.Phase = phase
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: NodeAgentContainer, Image: testImage, State: state}}
				if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err == nil {
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// podsLeft lists the pods still in the fake cluster.
func podsLeft(t *testing.T, client *fake.Clientset) []string {
	t.Helper()
	list, err := client.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}

func deletes(client *fake.Clientset) []k8stesting.DeleteAction {
	var out []k8stesting.DeleteAction
	for _, a := range client.Actions() {
		if d, ok := a.(k8stesting.DeleteAction); ok {
			out = append(out, d)
		}
	}
	return out
}

func TestStartNodeAgent(t *testing.T) {
	t.Run("creates, waits, deletes with grace 0", func(t *testing.T) {
		client := fake.NewClientset()
		nodeKubelet(t, client, "ops", corev1.PodRunning, running)
		var lines []string
		l := &Launcher{Client: client, Timeout: 5 * time.Second, Infof: func(f string, a ...any) { lines = append(lines, f) }}
		agent, err := l.StartNodeAgent(context.Background(), "ops", "node2", nodeSpec())
		if err != nil {
			t.Fatal(err)
		}
		want := Agent{Namespace: "ops", Pod: "netcheck-node2-abcde", Container: "probe", Node: "node2",
			Socket: "@netcheck-agent-netcheck-node2-abcde"}
		if agent.RunCommand("e30=")[5] != want.Socket {
			t.Errorf("runs heartbeat on %q, want the pod's own socket", agent.RunCommand("e30="))
		}
		if agent != want {
			t.Errorf("agent = %+v, want %+v", agent, want)
		}
		got, err := client.CoreV1().Pods("ops").Get(context.Background(), agent.Pod, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Labels[ManagedByLabel] != ManagedByValue || !got.Spec.HostNetwork || got.Spec.NodeName != "node2" {
			t.Errorf("created pod: labels %v hostNetwork %v node %q", got.Labels, got.Spec.HostNetwork, got.Spec.NodeName)
		}
		if err := l.DeleteNodeAgent(agent); err != nil {
			t.Fatal(err)
		}
		if left := podsLeft(t, client); len(left) != 0 {
			t.Errorf("pods left: %v", left)
		}
		d := deletes(client)
		if len(d) != 1 || d[0].GetDeleteOptions().GracePeriodSeconds == nil || *d[0].GetDeleteOptions().GracePeriodSeconds != 0 {
			t.Errorf("deletes = %+v, want one with grace period 0", d)
		}
		if !strings.Contains(strings.Join(lines, "\n"), "creating node pod") || !strings.Contains(strings.Join(lines, "\n"), "deleted node pod") {
			t.Errorf("progress does not say the pod was created and deleted: %q", lines)
		}
		// Deleting again (cleanup after a failure already deleted it) is fine.
		if err := l.DeleteNodeAgent(agent); err != nil {
			t.Errorf("second delete: %v", err)
		}
	})

	for _, tc := range []struct {
		name    string
		phase   corev1.PodPhase
		state   corev1.ContainerState
		timeout time.Duration
		wantErr []string
	}{
		{name: "image missing", phase: corev1.PodPending,
			state:   corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull"}},
			wantErr: []string{"image " + testImage + " is not present on node node2", "--image"}},
		{name: "kubelet rejects the pod", phase: corev1.PodFailed,
			wantErr: []string{"node2", "cannot run"}},
		{name: "agent exits", phase: corev1.PodFailed,
			state:   corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 2, Message: "bad flag"}},
			wantErr: []string{"exited with code 2: bad flag"}},
		{name: "times out", phase: corev1.PodPending, timeout: 200 * time.Millisecond,
			wantErr: []string{"timed out after 200ms waiting for node pod ops/netcheck-node2-abcde on node node2", "--timeout"}},
	} {
		t.Run(tc.name+" deletes the pod", func(t *testing.T) {
			client := fake.NewClientset()
			if tc.timeout == 0 {
				nodeKubelet(t, client, "ops", tc.phase, tc.state)
			}
			l := &Launcher{Client: client, Timeout: max(tc.timeout, 5*time.Second)}
			if tc.timeout != 0 {
				l.Timeout = tc.timeout
			}
			_, err := l.StartNodeAgent(context.Background(), "ops", "node2", nodeSpec())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if left := podsLeft(t, client); len(left) != 0 {
				t.Errorf("pods left after a failed start: %v", left)
			}
		})
	}

	t.Run("cancelled while waiting deletes the pod", func(t *testing.T) {
		client := fake.NewClientset()
		l := &Launcher{Client: client, Timeout: time.Minute}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for len(podsLeft(t, client)) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		_, err := l.StartNodeAgent(ctx, "ops", "node2", nodeSpec())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if left := podsLeft(t, client); len(left) != 0 {
			t.Errorf("pods left after Ctrl-C: %v", left)
		}
	})

	t.Run("create cut off in flight deletes what the server made", func(t *testing.T) {
		client := fake.NewClientset()
		// The API server stores the pod, then the connection drops before
		// its answer arrives: the run gets an error but the pod exists.
		client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
			pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
			if err := client.Tracker().Create(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, pod, "ops"); err != nil {
				t.Fatal(err)
			}
			return true, nil, errors.New("http2: client connection lost")
		})
		l := &Launcher{Client: client, Timeout: time.Second}
		if _, err := l.StartNodeAgent(context.Background(), "ops", "node2", nodeSpec()); err == nil {
			t.Fatal("no error")
		}
		if left := podsLeft(t, client); len(left) != 0 {
			t.Errorf("pods left after a create cut off in flight: %v", left)
		}
	})

	t.Run("create refused: nothing to delete, nothing deleted", func(t *testing.T) {
		client := fake.NewClientset()
		client.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
			// A pod of that name exists, and is not this run's.
			return true, nil, apierrors.NewAlreadyExists(schema.GroupResource{Resource: "pods"}, "netcheck-node2-abcde")
		})
		l := &Launcher{Client: client, Timeout: time.Second}
		if _, err := l.StartNodeAgent(context.Background(), "ops", "node2", nodeSpec()); !apierrors.IsAlreadyExists(err) {
			t.Fatalf("error = %v, want AlreadyExists", err)
		}
		if d := deletes(client); len(d) != 0 {
			t.Errorf("deleted %d pods after a refused create", len(d))
		}
	})

	t.Run("create rejected names the namespace", func(t *testing.T) {
		client := fake.NewClientset()
		client.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "netcheck-node2-abcde",
				errors.New(`violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true)`))
		})
		l := &Launcher{Client: client, Timeout: time.Second}
		_, err := l.StartNodeAgent(context.Background(), "ops", "node2", nodeSpec())
		var npe *NodePodError
		if !errors.As(err, &npe) || npe.Namespace() != "ops" || npe.Workload() != "node pod" || !apierrors.IsForbidden(err) {
			t.Errorf("error = %#v, want a forbidden NodePodError for namespace ops", err)
		}
	})
}

func TestNodeAgentState(t *testing.T) {
	base := func(phase corev1.PodPhase, st ...corev1.ContainerStatus) *corev1.Pod {
		p, _ := NodeAgentPod("ops", "node2", nodeSpec(), NodeProfile{})
		p.Status = corev1.PodStatus{Phase: phase, ContainerStatuses: st}
		return p
	}
	probe := func(s corev1.ContainerState) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: NodeAgentContainer, State: s}
	}
	evicted := base(corev1.PodFailed)
	evicted.Status.Reason, evicted.Status.Message = "OutOfcpu", "Node didn't have enough resource: cpu"
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		running bool
		wantErr string
	}{
		{name: "pending, not reported", pod: base(corev1.PodPending)},
		{name: "creating", pod: base(corev1.PodPending, probe(corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}))},
		{name: "running", pod: base(corev1.PodRunning, probe(running)), running: true},
		{name: "image pull backoff", pod: base(corev1.PodPending, probe(corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}})),
			wantErr: "image " + testImage + " is not present on node node2 (ImagePullBackOff)"},
		{name: "rejected by the kubelet", pod: evicted, wantErr: "OutOfcpu: Node didn't have enough resource: cpu"},
		{name: "idled out already", pod: base(corev1.PodSucceeded, probe(terminated)), wantErr: "Completed: exited with code 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := NodeAgentState(tc.pod)
			if ok != tc.running {
				t.Errorf("running = %v, want %v", ok, tc.running)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
