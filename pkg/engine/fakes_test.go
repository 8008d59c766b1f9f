package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
)

const testImage = "localhost/netcheck/netcheck-probe:dev"

// scriptedProbe plays netcheck-probe behind exec: it decodes the request from
// the command line exactly as the real probe gets it and answers each check
// with outcome(spec), so the engine's real wiring (plan -> exec -> decode ->
// report) is what the test exercises.
type scriptedProbe struct {
	mu      sync.Mutex
	execs   []kube.ExecRequest
	outcome func(vantagePod string, spec v1alpha1.CheckSpec) v1alpha1.CheckResult
	// silent containers end the exec at once with no output, like an agent that just idled out.
	silent map[string]bool
	// runtime, when set, is the container runtime behind the kubelet: an exec
	// into a container it does not run fails as the kubelet fails it.
	runtime *fakeRuntime
	// refused counts execs refused that way.
	refused int
}

func (p *scriptedProbe) Exec(ctx context.Context, req kube.ExecRequest, stdout, _ io.Writer) error {
	if p.runtime != nil && !p.runtime.runs(ctx, req.Namespace, req.Pod, req.Container) {
		p.mu.Lock()
		p.refused++
		p.mu.Unlock()
		// The text the API server relays from the kubelet (seen on the lab cluster).
		return fmt.Errorf("exec into %s/%s (%s): Internal error occurred: unable to upgrade connection: container not found (%q)",
			req.Namespace, req.Pod, req.Container, req.Container)
	}
	p.mu.Lock()
	p.execs = append(p.execs, req)
	p.mu.Unlock()
	if p.silent[req.Container] {
		return nil
	}
	if len(req.Command) != 4 || req.Command[0] != "/netcheck-probe" || req.Command[1] != "run" || req.Command[2] != "--request-b64" {
		return fmt.Errorf("unexpected command %q", req.Command)
	}
	body, err := base64.StdEncoding.DecodeString(req.Command[3])
	if err != nil {
		return err
	}
	probeReq, err := v1alpha1.DecodeProbeRequest(body)
	if err != nil {
		return err
	}
	emit := func(ev v1alpha1.Event) {
		b, _ := json.Marshal(ev)
		_, _ = stdout.Write(append(b, '\n'))
	}
	hello := v1alpha1.NewEvent(v1alpha1.EventHello)
	hello.Hello = &v1alpha1.Hello{ProbeVersion: "dev", Checks: []string{"dns", "icmp", "netinfo", "tcp"}}
	emit(hello)
	for _, spec := range probeReq.Checks {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		started := v1alpha1.NewEvent(v1alpha1.EventStarted)
		started.CheckID = spec.ID
		emit(started)
		res := p.outcome(req.Pod, spec)
		res.ID, res.Check, res.Target = spec.ID, spec.Check, spec.Target
		ev := v1alpha1.NewEvent(v1alpha1.EventResult)
		ev.CheckID, ev.Result = spec.ID, &res
		emit(ev)
	}
	emit(v1alpha1.NewEvent(v1alpha1.EventDone))
	return nil
}

func (p *scriptedProbe) requests(t *testing.T) map[string]v1alpha1.ProbeRequest {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]v1alpha1.ProbeRequest{}
	for _, e := range p.execs {
		body, _ := base64.StdEncoding.DecodeString(e.Command[3])
		req, err := v1alpha1.DecodeProbeRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Pod+"/"+e.Container] = req
	}
	return out
}

// healthy answers every check as passed; refusedFrom makes TCP to addr refused.
func healthy(refusedAddr string) func(string, v1alpha1.CheckSpec) v1alpha1.CheckResult {
	return func(_ string, spec v1alpha1.CheckSpec) v1alpha1.CheckResult {
		res := v1alpha1.CheckResult{Status: v1alpha1.StatusPass, Summary: "ok"}
		switch spec.Check {
		case v1alpha1.CheckTCP:
			res.TCP = &v1alpha1.TCPResult{Address: spec.TCP.Address, Counts: map[v1alpha1.TCPOutcome]int{v1alpha1.TCPOK: spec.TCP.Count}}
			if spec.TCP.Address == refusedAddr {
				res.Status = v1alpha1.StatusFail
				res.TCP.Counts = map[v1alpha1.TCPOutcome]int{v1alpha1.TCPRefused: spec.TCP.Count}
			}
		case v1alpha1.CheckNetInfo:
			res.NetInfo = &v1alpha1.NetInfo{Listeners: []v1alpha1.Listener{{Proto: "tcp", Addr: "127.0.0.1", Port: 8080}}}
		}
		return res
	}
}

// recorder is a Progress that remembers the order of what it was shown.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Resolved(rep *v1alpha1.Report) {
	r.add(fmt.Sprintf("resolved %s -> %d targets", rep.Source.Pod, len(rep.Targets)))
}
func (r *recorder) Event(v string, ev v1alpha1.Event) { r.add(fmt.Sprintf("event %s %s", v, ev.Type)) }
func (r *recorder) Infof(f string, a ...any)          { r.add(fmt.Sprintf(f, a...)) }
func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func pod(ns, name, node, ip string, labels map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "app:1", Ports: ports}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}},
		},
	}
}

// withRunningAgent gives p an agent from an earlier run.
func withRunningAgent(p *corev1.Pod, name string) *corev1.Pod {
	p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: testImage}, TargetContainerName: "app"})
	p.Status.EphemeralContainerStatuses = append(p.Status.EphemeralContainerStatuses, corev1.ContainerStatus{
		Name: name, Image: testImage, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}})
	return p
}

func slice(ns, svc, portName string, port int32, proto corev1.Protocol, eps ...[3]string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: svc + "-" + portName, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(portName), Port: ptr.To(port), Protocol: ptr.To(proto)}},
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e[0]},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: e[1]}, NodeName: ptr.To(e[2])})
	}
	return s
}

// cluster is client -> svc/web with two endpoints, plus CoreDNS.
func cluster(objs ...runtime.Object) []runtime.Object {
	web := map[string]string{"app": "web"}
	http := corev1.ContainerPort{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}
	base := []runtime.Object{
		pod("default", "web-1", "node1", "10.244.0.11", web, http),
		pod("default", "web-2", "node2", "10.244.1.12", web, http),
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.50", ClusterIPs: []string{"10.96.0.50"}, Selector: web,
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http")}}},
		},
		slice("default", "web", "http", 8080, corev1.ProtocolTCP, [3]string{"10.244.0.11", "web-1", "node1"}, [3]string{"10.244.1.12", "web-2", "node2"}),
		slice("kube-system", "kube-dns", "dns", 53, corev1.ProtocolUDP, [3]string{"10.244.0.2", "coredns-a", "node1"}),
	}
	return append(base, objs...)
}

// kubelet starts every ephemeral container added to pods of client, as the
// real kubelet would, so the launch path runs end to end on the fake.
func kubelet(ctx context.Context, client *fake.Clientset) {
	kubeletWith(ctx, client, nil, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
}

// kubeletWith reports every ephemeral container added to pods of client in
// state, after starting it in rt when the state is running. A nil state reports
// nothing: the kubelet's status lagging behind the runtime, stretched forever.
func kubeletWith(ctx context.Context, client *fake.Clientset, rt *fakeRuntime, state corev1.ContainerState) {
	go func() {
		reported := map[string]bool{}
		for ctx.Err() == nil {
			list, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			if err == nil {
				for i := range list.Items {
					p := &list.Items[i]
					for _, ec := range p.Spec.EphemeralContainers {
						key := p.Namespace + "/" + p.Name + "/" + ec.Name
						if reported[key] || hasStatus(p, ec.Name) {
							continue
						}
						reported[key] = true
						if rt != nil && (state.Running != nil || state == corev1.ContainerState{}) {
							rt.start(key)
						}
						if state == (corev1.ContainerState{}) {
							continue
						}
						p.Status.EphemeralContainerStatuses = append(p.Status.EphemeralContainerStatuses, corev1.ContainerStatus{
							Name: ec.Name, Image: ec.Image, State: state})
						_, _ = client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

func hasStatus(p *corev1.Pod, name string) bool {
	for _, st := range p.Status.EphemeralContainerStatuses {
		if st.Name == name {
			return true
		}
	}
	return false
}

// fakeRuntime is which containers run: those the fake kubelet started (after
// startDelay, the runtime's own start-up), and agents the pod status shows
// running (from earlier runs).
type fakeRuntime struct {
	client     *fake.Clientset
	startDelay time.Duration
	mu         sync.Mutex
	started    map[string]time.Time
}

func newRuntime(client *fake.Clientset, startDelay time.Duration) *fakeRuntime {
	return &fakeRuntime{client: client, startDelay: startDelay, started: map[string]time.Time{}}
}

func (rt *fakeRuntime) start(key string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.started[key] = time.Now()
}

func (rt *fakeRuntime) runs(ctx context.Context, ns, pod, container string) bool {
	rt.mu.Lock()
	at, ok := rt.started[ns+"/"+pod+"/"+container]
	rt.mu.Unlock()
	if ok && time.Since(at) >= rt.startDelay {
		return true
	}
	p, err := rt.client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return false
	}
	for _, st := range p.Status.EphemeralContainerStatuses {
		if st.Name == container && st.State.Running != nil {
			return true
		}
	}
	return false
}
