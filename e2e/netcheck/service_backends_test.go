//go:build e2e

package netcheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Issue #3: Services whose backends cannot work, set up the way it happens in
// real clusters: a pod whose readiness probe never passes, and a named
// targetPort that one of the selected pods does not declare.
func TestServiceBackendFaults(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "backends", nil)

	// Serves :8080 but its readiness probe asks :7777, where nothing listens.
	unready := backend("unready", "unready", lab.Node2.Name)
	unready.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(7777)}},
		PeriodSeconds: 1,
	}
	// Two backends of svc/named; only named-1 calls its 8080 "web".
	named1 := backend("named-1", "named", lab.Node1.Name)
	named1.Spec.Containers[0].Ports[0].Name = "web"
	named2 := backend("named-2", "named", lab.Node2.Name)
	createOnly(t, c, ns, unready)
	named1Addr := createReady(t, c, ns, named1, named2, framework.EchoPod("client", lab.Node1.Name, "-idle"))[0].Status.PodIP + ":8080"
	waitPhase(t, c, ns, "unready", corev1.PodRunning)

	namedSvc := framework.EchoService("named", "named")
	namedSvc.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("web"), Protocol: corev1.ProtocolTCP}}
	namedSvc = c.CreateService(t, ns, namedSvc)
	// Created directly: CreateService waits for ready endpoints, which never come.
	unreadySvc, err := c.Client.CoreV1().Services(ns).Create(framework.Context(t, 30*time.Second),
		framework.EchoService("unready", "unready"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUnreadyEndpoint(t, c, ns, "unready", "unready")
	for _, s := range []*corev1.Service{namedSvc, unreadySvc} {
		waitResolvable(t, c, ns, s)
	}

	t.Run("readiness probe never passes", func(t *testing.T) {
		rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), v1alpha1.ExitFault, "-n", ns, "client", "--to", "svc/unready")
		fd := requireFinding(t, rep, diagnose.IDServiceNoReadyEndpoints)
		mentions(t, fd, "svc/unready", "none ready", "Service "+ns+"/unready")
		hasEvidence(t, fd, "pod "+ns+"/unready on node "+lab.Node2.Name+"): not ready",
			// kube-proxy rejects connects to a Service without ready endpoints:
			// the expected symptom, folded into this finding.
			"connects to the Service IP "+unreadySvc.Spec.ClusterIP+":80")
		onlyFault(t, rep, diagnose.IDServiceNoReadyEndpoints)
	})

	t.Run("named targetPort one pod does not declare", func(t *testing.T) {
		rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), v1alpha1.ExitFault, "-n", ns, "client", "--to", "svc/named")
		fd := requireFinding(t, rep, diagnose.IDServiceNamedPortUnresolved)
		mentions(t, fd, "svc/named", `targetPort "web"`, "1 of 2 selected pods")
		hasEvidence(t, fd, "named-2")
		for _, e := range fd.Evidence {
			if strings.Contains(e, "named-1") {
				t.Errorf("named-1 declares the port but is blamed: %s", e)
			}
		}
		onlyFault(t, rep, diagnose.IDServiceNamedPortUnresolved)
		// The pod that declares it is an endpoint and serves.
		if r := tcpResult(t, rep, named1Addr); r.Status != v1alpha1.StatusPass {
			t.Errorf("named-1: %s %s", r.Status, r.Summary)
		}
	})
}

// waitUnreadyEndpoint polls the Service's EndpointSlices until pod is listed
// as a not-ready endpoint: the state the finding is about.
func waitUnreadyEndpoint(t *testing.T, c *framework.Cluster, ns, svc, pod string) {
	t.Helper()
	ctx := framework.Context(t, time.Minute)
	for {
		if listedNotReady(ctx, c, ns, svc, pod) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pod %s never listed as a not-ready endpoint of service %s/%s", pod, ns, svc)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func listedNotReady(ctx context.Context, c *framework.Cluster, ns, svc, pod string) bool {
	slices, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return false
	}
	for _, s := range slices.Items {
		for _, ep := range s.Endpoints {
			if ep.TargetRef != nil && ep.TargetRef.Name == pod && ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				return true
			}
		}
	}
	return false
}
