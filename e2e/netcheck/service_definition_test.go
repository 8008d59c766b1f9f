//go:build e2e

package netcheck

import (
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Issue #3: faults that sit in how the server or the Service is set up, not
// in the network. Each is a fault (exit 1) with its own finding.
func TestServiceDefinitionFaults(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "svcdef", nil)
	pods := createReady(t, c, ns,
		backend("web-1", "web", lab.Node1.Name),
		backend("web-2", "web", lab.Node2.Name),
		// A server bound to its own loopback: it works from inside the pod only.
		framework.EchoPod("lo", lab.Node2.Name, "-http", "127.0.0.1:8080"),
		framework.EchoPod("client", lab.Node1.Name, "-idle"))
	lo := pods[2]

	loSvc := c.CreateService(t, ns, framework.EchoService("lo", "lo"))
	badPort := framework.EchoService("badport", "web")
	badPort.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8081), Protocol: corev1.ProtocolTCP}}
	badPortSvc := c.CreateService(t, ns, badPort)
	// No pod carries this label: the Service never gets endpoints, so it is
	// created directly (CreateService waits for endpoints to be programmed).
	nobody := framework.EchoService("nobody", "nothing-here")
	nobodySvc, err := c.Client.CoreV1().Services(ns).Create(framework.Context(t, 30*time.Second), nobody, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*corev1.Service{loSvc, badPortSvc, nobodySvc} {
		waitResolvable(t, c, ns, s)
	}

	for _, tc := range []struct {
		name, to, id string
		// names must appear in the finding's hop or summary.
		names []string
	}{
		{"loopback-only listener behind a Service", "svc/lo", diagnose.IDListeningOnLoopbackOnly, []string{ns + "/lo", "127.0.0.1:8080", lab.Node2.Name}},
		{"loopback-only listener as a pod target", "pod/lo:8080", diagnose.IDListeningOnLoopbackOnly, []string{ns + "/lo", "127.0.0.1:8080", lo.Status.PodIP}},
		{"targetPort that no container declares", "svc/badport", diagnose.IDServiceTargetPortUndeclared, []string{"8081"}},
		{"selector that matches no pod", "svc/nobody", diagnose.IDServiceSelectorMatchesNone, []string{"app=nothing-here"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), v1alpha1.ExitFault, "-n", ns, "client", "--to", tc.to)
			mentions(t, requireFinding(t, rep, tc.id), tc.names...)
		})
	}
}
