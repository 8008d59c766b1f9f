package resolve

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

func mustTarget(t *testing.T, s string) target.Spec {
	t.Helper()
	spec, err := target.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func webFixtures() []runtime.Object {
	web := map[string]string{"app": "web"}
	httpPort := corev1.ContainerPort{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}
	return []runtime.Object{
		runningPod("default", "client", "node1", "10.244.0.10", true, nil),
		runningPod("default", "web-1", "node1", "10.244.0.11", true, web, httpPort),
		runningPod("default", "web-2", "node2", "10.244.1.12", true, web, httpPort),
		runningPod("default", "web-3", "node2", "10.244.1.13", false, web), // declares no port
		service("default", "web", web, svcPort("http", 80, intstr.FromString("http")), svcPort("metrics", 9090, intstr.FromInt32(9090))),
		endpointSlice("default", "web", "web-a", "http", 8080, corev1.ProtocolTCP,
			sliceEndpoint{"10.244.1.12", "web-2", "node2", true},
			sliceEndpoint{"10.244.0.11", "web-1", "node1", true}),
		// a second slice repeating web-2 during a rollout, and one not-ready endpoint
		endpointSlice("default", "web", "web-b", "http", 8080, corev1.ProtocolTCP,
			sliceEndpoint{"10.244.1.12", "web-2", "node2", true},
			sliceEndpoint{"10.244.1.14", "web-4", "node2", false}),
		endpointSlice("default", "web", "web-c", "metrics", 9090, corev1.ProtocolTCP,
			sliceEndpoint{"10.244.0.11", "web-1", "node1", true}),
		service("default", "orphan", map[string]string{"app": "nothing"}, svcPort("", 80, intstr.FromInt32(8080))),
	}
}

func TestServiceTarget(t *testing.T) {
	r := &Resolver{Client: fake.NewClientset(webFixtures()...), Namespace: "default"}
	for _, tc := range []struct {
		spec string
		want v1alpha1.Target
	}{
		{"svc/web", v1alpha1.Target{
			Spec: "svc/web", Kind: "service", Namespace: "default", Name: "web", IPs: []string{"10.96.0.50"},
			Port: 80, PortName: "http", Protocol: "TCP", TargetPort: "http",
			Selector: map[string]string{"app": "web"}, SelectedPods: 3, UndeclaredPortPods: []string{"web-3"},
			Endpoint: []v1alpha1.Endpoint{
				{IP: "10.244.0.11", Port: 8080, Ready: true, Pod: "web-1", Node: "node1"},
				{IP: "10.244.1.12", Port: 8080, Ready: true, Pod: "web-2", Node: "node2"},
				{IP: "10.244.1.14", Port: 8080, Ready: false, Pod: "web-4", Node: "node2"},
			},
		}},
		{"svc/default/web:9090", v1alpha1.Target{
			Spec: "svc/default/web:9090", Kind: "service", Namespace: "default", Name: "web", IPs: []string{"10.96.0.50"},
			Port: 9090, PortName: "metrics", Protocol: "TCP", TargetPort: "9090",
			Selector: map[string]string{"app": "web"}, SelectedPods: 3, UndeclaredPortPods: []string{"web-1", "web-2", "web-3"},
			Endpoint: []v1alpha1.Endpoint{{IP: "10.244.0.11", Port: 9090, Ready: true, Pod: "web-1", Node: "node1"}},
		}},
		{"svc/orphan.default", v1alpha1.Target{
			Spec: "svc/orphan.default", Kind: "service", Namespace: "default", Name: "orphan", IPs: []string{"10.96.0.50"},
			Port: 80, Protocol: "TCP", TargetPort: "8080", Selector: map[string]string{"app": "nothing"},
		}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := r.Target(context.Background(), mustTarget(t, tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetErrors(t *testing.T) {
	objs := append(webFixtures(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "pending"},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}},
		}}},
	})
	r := &Resolver{Client: fake.NewClientset(objs...), Namespace: "default"}
	for _, tc := range []struct{ spec, wantErr string }{
		{"svc/missing", `services "missing" not found`},
		{"svc/web:grpc", `has no port "grpc" (it has http 80/TCP, metrics 9090/TCP)`},
		{"pod/web-1:grpc", `declares no port named "grpc"`},
		{"pod/pending", "is Pending, not Running (container app: ImagePullBackOff)"},
		{"pod/other/web-1", `pods "web-1" not found`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := r.Target(context.Background(), mustTarget(t, tc.spec))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPodAndAddressTargets(t *testing.T) {
	r := &Resolver{Client: fake.NewClientset(webFixtures()...), Namespace: "default"}
	for _, tc := range []struct {
		spec string
		want v1alpha1.Target
	}{
		{"pod/web-1", v1alpha1.Target{Spec: "pod/web-1", Kind: "pod", Namespace: "default", Name: "web-1",
			IPs: []string{"10.244.0.11"}, Node: "node1", Pod: "web-1", Port: 8080, PortName: "http", Protocol: "TCP"}},
		{"pod/web-1:http", v1alpha1.Target{Spec: "pod/web-1:http", Kind: "pod", Namespace: "default", Name: "web-1",
			IPs: []string{"10.244.0.11"}, Node: "node1", Pod: "web-1", Port: 8080, PortName: "http", Protocol: "TCP"}},
		{"pod/web-3:7000", v1alpha1.Target{Spec: "pod/web-3:7000", Kind: "pod", Namespace: "default", Name: "web-3",
			IPs: []string{"10.244.1.13"}, Node: "node2", Pod: "web-3", Port: 7000, Protocol: "TCP"}},
		{"pod/web-3", v1alpha1.Target{Spec: "pod/web-3", Kind: "pod", Namespace: "default", Name: "web-3",
			IPs: []string{"10.244.1.13"}, Node: "node2", Pod: "web-3"}},
		{"10.244.1.12:8080", v1alpha1.Target{Spec: "10.244.1.12:8080", Kind: "ip", IPs: []string{"10.244.1.12"},
			Port: 8080, Protocol: "TCP", Namespace: "default", Name: "web-2", Pod: "web-2", Node: "node2"}},
		{"10.200.0.1", v1alpha1.Target{Spec: "10.200.0.1", Kind: "ip", IPs: []string{"10.200.0.1"}}},
		{"web.other:80", v1alpha1.Target{Spec: "web.other:80", Kind: "host", Name: "web.other", Port: 80, Protocol: "TCP"}},
		{"dns/kubernetes.default", v1alpha1.Target{Spec: "dns/kubernetes.default", Kind: "dns", Name: "kubernetes.default"}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := r.Target(context.Background(), mustTarget(t, tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSource(t *testing.T) {
	web := map[string]string{"app": "web"}
	deploy := func(name string, sel map[string]string) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec:       appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: sel}},
		}
	}
	objs := append(webFixtures(),
		deploy("web", web),
		deploy("flaky", map[string]string{"app": "flaky"}),
		runningPod("default", "flaky-b", "node2", "10.244.1.30", false, map[string]string{"app": "flaky"}),
		runningPod("default", "flaky-a", "node2", "10.244.1.31", false, map[string]string{"app": "flaky"}),
		deploy("none", map[string]string{"app": "none"}),
	)
	r := &Resolver{Client: fake.NewClientset(objs...), Namespace: "default"}
	for _, tc := range []struct {
		spec, wantPod, wantFrom, wantErr string
	}{
		{spec: "client", wantPod: "client", wantFrom: "pod/client"},
		{spec: "deploy/web", wantPod: "web-1", wantFrom: "deploy/web (ready pod web-1)"},
		{spec: "deploy/flaky", wantPod: "flaky-a", wantFrom: "deploy/flaky (no ready pod; running, not ready pod flaky-a)"},
		{spec: "deploy/none", wantErr: "has no running pod (0 pods match its selector app=none)"},
		{spec: "pod/nope", wantErr: `get source pod default/nope: pods "nope" not found`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			spec, err := target.ParseSource(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			pod, src, err := r.Source(context.Background(), spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pod.Name != tc.wantPod || src.Pod != tc.wantPod || src.From != tc.wantFrom {
				t.Errorf("got pod %s from %q, want %s from %q", src.Pod, src.From, tc.wantPod, tc.wantFrom)
			}
			if len(src.Containers) != 1 || src.Containers[0].State != "running" || src.Node == "" || len(src.PodIPs) != 1 {
				t.Errorf("incomplete source: %+v", src)
			}
		})
	}
}

func TestTargetContainer(t *testing.T) {
	pod := runningPod("default", "p", "n", "10.244.0.5", true, nil)
	pod.Spec.Containers = append([]corev1.Container{{Name: "init-like"}}, pod.Spec.Containers...)
	pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
		Name: "init-like", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
	})
	if got, err := TargetContainer(pod, ""); err != nil || got != "app" {
		t.Errorf("TargetContainer(first running) = %q, %v; want app", got, err)
	}
	if got, err := TargetContainer(pod, "init-like"); err != nil || got != "init-like" {
		t.Errorf("TargetContainer(named) = %q, %v", got, err)
	}
	if _, err := TargetContainer(pod, "nope"); err == nil || !strings.Contains(err.Error(), "has no container \"nope\" (it has init-like, app)") {
		t.Errorf("TargetContainer(missing) error = %v", err)
	}
}

func TestDNSServers(t *testing.T) {
	client := fake.NewClientset(
		endpointSlice("kube-system", "kube-dns", "kube-dns-a", "dns-tcp", 53, corev1.ProtocolTCP,
			sliceEndpoint{"10.244.0.2", "coredns-a", "node1", true}),
		func() *discoveryv1.EndpointSlice {
			s := endpointSlice("kube-system", "kube-dns", "kube-dns-b", "dns", 53, corev1.ProtocolUDP,
				sliceEndpoint{"10.244.1.3", "coredns-b", "node2", true},
				sliceEndpoint{"10.244.0.2", "coredns-a", "node1", true},
				sliceEndpoint{"10.244.1.9", "coredns-c", "node2", false})
			return s
		}(),
	)
	r := &Resolver{Client: client, Namespace: "default"}
	got, err := r.DNSServers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []v1alpha1.DNSServer{
		{Address: "10.244.0.2:53", Name: "kube-system/coredns-a (node node1)", Role: "endpoint"},
		{Address: "10.244.1.3:53", Name: "kube-system/coredns-b (node node2)", Role: "endpoint"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
