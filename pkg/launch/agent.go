package launch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
)

// Agent is a running probe agent the plugin can exec into.
type Agent struct {
	Namespace string
	Pod       string
	Container string
	Node      string
	// Reused is true when an agent from an earlier run was running already.
	Reused bool
	// Startup follows a just-added agent until the kubelet reports it running
	// (or failing for good); nil when the agent was known to run already.
	Startup *Startup
	// Socket is the agent's heartbeat socket when it is not the probe's
	// default (node pods: see NodeAgentSocket).
	Socket string
}

// ReusableAgent finds an agent of image in pod that runs, or that is still
// starting (starting is then true): no status yet, or waiting for a reason the
// kubelet gets past. Ephemeral containers can never be removed, so each run
// that added one would leave one more behind; reusing one also skips the
// start-up wait. A starting one counts because a run execs into a new agent
// before the kubelet reports it running (a second later at most): the next run
// can come sooner, and a second agent in the pod could not even start (the
// first holds the heartbeat socket of the pod's network namespace).
func ReusableAgent(pod *corev1.Pod, image string) (name string, starting, ok bool) {
	for _, ec := range pod.Spec.EphemeralContainers {
		if !strings.HasPrefix(ec.Name, AgentPrefix) || ec.Image != image {
			continue
		}
		st, reported := ephemeralStatus(pod, ec.Name)
		switch {
		case reported && st.State.Running != nil:
			return ec.Name, false, true
		case !ok && (!reported || st.State.Waiting != nil && !fatalWaiting[st.State.Waiting.Reason]):
			name, starting, ok = ec.Name, true, true
		}
	}
	return name, starting, ok
}

func ephemeralStatus(pod *corev1.Pod, name string) (corev1.ContainerStatus, bool) {
	for _, st := range pod.Status.EphemeralContainerStatuses {
		if st.Name == name {
			return st, true
		}
	}
	return corev1.ContainerStatus{}, false
}

// Launcher starts agents in pods.
type Launcher struct {
	Client kubernetes.Interface
	// Infof reports steps worth a progress line (may be nil).
	Infof func(format string, args ...any)
	// Timeout bounds the wait for a new agent to run.
	Timeout time.Duration
}

func (l *Launcher) infof(format string, args ...any) {
	if l.Infof != nil {
		l.Infof(format, args...)
	}
}

// EnsureEphemeralAgent returns a running agent in pod: a reusable one, or a new
// ephemeral container (spec, PodProfile) targeting targetContainer that it
// waited for.
func (l *Launcher) EnsureEphemeralAgent(ctx context.Context, pod *corev1.Pod, spec AgentSpec, targetContainer string) (Agent, error) {
	agent, err := l.BeginEphemeralAgent(ctx, pod, spec, targetContainer)
	if err != nil || agent.Startup == nil {
		return agent, err
	}
	if err := agent.Startup.Wait(ctx); err != nil {
		return Agent{}, err
	}
	return agent, nil
}

// BeginEphemeralAgent is EnsureEphemeralAgent without the wait: a new agent is
// returned as soon as the API server accepted it, with Startup following it.
// The agent stops following when ctx ends.
func (l *Launcher) BeginEphemeralAgent(ctx context.Context, pod *corev1.Pod, spec AgentSpec, targetContainer string) (Agent, error) {
	if name, starting, ok := ReusableAgent(pod, spec.Image); ok {
		l.infof("reusing agent %s in pod %s/%s", name, pod.Namespace, pod.Name)
		agent := Agent{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Container: name, Reused: true}
		if starting {
			agent.Startup = follow(ctx, l.Client, pod, name, l.Timeout)
		}
		return agent, nil
	}
	return l.StartEphemeralAgent(ctx, pod, spec, targetContainer)
}

// StartEphemeralAgent always adds a new agent to pod; it returns once the API
// server accepted it, with Startup following it until it runs. The agent
// stops following when ctx ends.
func (l *Launcher) StartEphemeralAgent(ctx context.Context, pod *corev1.Pod, spec AgentSpec, targetContainer string) (Agent, error) {
	if msg := NonRootWarning(pod, targetContainer); msg != "" {
		l.infof("warning: %s", msg)
	}
	withAgent, err := WithEphemeralAgent(pod, spec, targetContainer, PodProfile{})
	if err != nil {
		return Agent{}, err
	}
	patch, err := ephemeralPatch(pod, withAgent)
	if err != nil {
		return Agent{}, err
	}
	l.infof("adding agent %s (%s) to pod %s/%s", spec.Name, spec.Image, pod.Namespace, pod.Name)
	patched, err := l.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch,
		metav1.PatchOptions{}, "ephemeralcontainers")
	if err != nil {
		return Agent{}, &PatchError{PodNamespace: pod.Namespace, PodName: pod.Name, Err: err}
	}
	return Agent{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Container: spec.Name,
		Startup: follow(ctx, l.Client, patched, spec.Name, l.Timeout)}, nil
}

// ephemeralPatch is the strategic merge patch from pod to withAgent, which only
// adds the ephemeral container (as kubectl debug does).
func ephemeralPatch(pod, withAgent *corev1.Pod) ([]byte, error) {
	before, err := json.Marshal(pod)
	if err != nil {
		return nil, fmt.Errorf("encode pod: %w", err)
	}
	after, err := json.Marshal(withAgent)
	if err != nil {
		return nil, fmt.Errorf("encode pod with agent: %w", err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(before, after, pod)
	if err != nil {
		return nil, fmt.Errorf("build ephemeral container patch: %w", err)
	}
	return patch, nil
}

// PatchError marks a failed ephemeralcontainers patch, so error translation can
// tell "subresource missing" from "pod missing".
type PatchError struct {
	PodNamespace, PodName string
	Err                   error
}

func (e *PatchError) Error() string {
	return fmt.Sprintf("add agent to pod %s/%s: %v", e.PodNamespace, e.PodName, e.Err)
}

func (e *PatchError) Unwrap() error { return e.Err }

// Namespace and Subresource let kube.Explain name the failed request.
func (e *PatchError) Namespace() string   { return e.PodNamespace }
func (e *PatchError) Subresource() string { return "ephemeralcontainers" }
