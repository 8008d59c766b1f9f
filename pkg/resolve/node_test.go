package resolve

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func TestNode(t *testing.T) {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node2", Annotations: map[string]string{FlannelPublicIPAnnotation: "10.201.0.2"}},
		Spec:       corev1.NodeSpec{PodCIDR: "10.244.0.0/24"},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeHostName, Address: "vm"}, {Type: corev1.NodeInternalIP, Address: "10.201.0.2"}}},
	}
	web := runningPod("shop", "web-2", "node2", "10.244.0.3", true, nil)
	web.UID = types.UID("uid-web2")
	done := runningPod("shop", "job", "node2", "10.244.0.9", false, nil)
	done.Status.Phase = corev1.PodSucceeded
	host := runningPod("kube-system", "proxy", "node2", "10.201.0.2", true, nil)
	host.Spec.HostNetwork, host.UID = true, "uid-proxy"
	elsewhere := runningPod("shop", "web-1", "node1", "10.244.1.3", true, nil)
	r := &Resolver{Client: fake.NewClientset(node, web, done, host, elsewhere)}

	got, err := r.Node(context.Background(), "node2")
	if err != nil {
		t.Fatal(err)
	}
	want := NodeFacts{Name: "node2", PodCIDR: "10.244.0.0/24", InternalIP: "10.201.0.2", VTEPIP: "10.201.0.2",
		Pods: []v1alpha1.NodePod{
			{Namespace: "kube-system", Name: "proxy", UID: "uid-proxy", IPs: []string{"10.201.0.2"}, HostNetwork: true},
			{Namespace: "shop", Name: "web-2", UID: "uid-web2", IPs: []string{"10.244.0.3"}},
		},
		Report: v1alpha1.NodeFacts{Name: "node2", InternalIP: "10.201.0.2", PodCIDR: "10.244.0.0/24",
			Flannel: &v1alpha1.FlannelFacts{PublicIP: "10.201.0.2"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := r.Node(context.Background(), "node9"); err == nil {
		t.Error("a missing node is not an error")
	}
}

func TestClusterCIDR(t *testing.T) {
	cm := func(ns, name, key, val string) runtime.Object {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{key: val}}
	}
	for _, tc := range []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"nothing says", nil, ""},
		{"flannel", []runtime.Object{cm("kube-flannel", "kube-flannel-cfg", "net-conf.json",
			`{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}`)}, "10.244.0.0/16"},
		{"kube-proxy", []runtime.Object{cm("kube-system", "kube-proxy", "config.conf",
			"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nclusterCIDR: 10.42.0.0/16\nmode: iptables\n")}, "10.42.0.0/16"},
		{"garbage is ignored", []runtime.Object{cm("kube-system", "kube-proxy", "config.conf", "clusterCIDR: \"\"\n")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Resolver{Client: fake.NewClientset(tc.objs...)}
			if got := r.ClusterCIDR(context.Background()); got != tc.want {
				t.Errorf("ClusterCIDR = %q, want %q", got, tc.want)
			}
		})
	}
	if got := ScanCIDR("", NodeFacts{PodCIDR: "10.244.1.0/24"}); got != "10.244.1.0/24" {
		t.Errorf("ScanCIDR falls back to %q", got)
	}
}

func TestPodNetns(t *testing.T) {
	p := runningPod("shop", "client", "node1", "10.244.1.4", true, nil)
	p.UID = "uid-client"
	p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: "side", ContainerID: "containerd://side"})
	want := &v1alpha1.NetnsRef{ContainerID: "containerd://client", PodUID: "uid-client", Label: "pod shop/client"}
	if diff := cmp.Diff(want, PodNetns(p, "app")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	want.ContainerID = "containerd://side"
	if diff := cmp.Diff(want, PodNetns(p, "side")); diff != "" {
		t.Errorf("named container (-want +got):\n%s", diff)
	}
	want.ContainerID = "containerd://client"
	if diff := cmp.Diff(want, PodNetns(p, "")); diff != "" {
		t.Errorf("first running (-want +got):\n%s", diff)
	}
}
