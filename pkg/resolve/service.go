package resolve

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// service resolves svc/NAME[:PORT]: its ClusterIPs and port, every endpoint of
// that port from the EndpointSlices, and the pods its selector matches.
func (r *Resolver) service(ctx context.Context, spec target.Spec) (v1alpha1.Target, error) {
	ns := r.namespaceOr(spec.Namespace)
	svc, err := r.Client.CoreV1().Services(ns).Get(ctx, spec.Name, metav1.GetOptions{})
	if err != nil {
		return v1alpha1.Target{}, fmt.Errorf("target %s: get service %s/%s: %w", spec.Raw, ns, spec.Name, err)
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return v1alpha1.Target{}, fmt.Errorf("target %s: service %s/%s is an ExternalName for %s: check it as %s:PORT",
			spec.Raw, ns, spec.Name, svc.Spec.ExternalName, svc.Spec.ExternalName)
	}
	port, err := servicePort(svc, spec.Port)
	if err != nil {
		return v1alpha1.Target{}, fmt.Errorf("target %s: %w", spec.Raw, err)
	}
	t := v1alpha1.Target{
		Spec:       spec.Raw,
		Kind:       string(target.KindService),
		Namespace:  ns,
		Name:       svc.Name,
		IPs:        clusterIPs(svc),
		Port:       int(port.Port),
		PortName:   port.Name,
		Protocol:   string(port.Protocol),
		Selector:   svc.Spec.Selector,
		TargetPort: targetPortString(port),
	}

	var (
		slices []discoveryv1.EndpointSlice
		pods   []corev1.Pod
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		list, err := r.Client.DiscoveryV1().EndpointSlices(ns).List(gctx, metav1.ListOptions{
			LabelSelector: discoveryv1.LabelServiceName + "=" + svc.Name,
		})
		if err != nil {
			return fmt.Errorf("target %s: list endpointslices of service %s/%s: %w", spec.Raw, ns, svc.Name, err)
		}
		slices = list.Items
		return nil
	})
	if len(svc.Spec.Selector) > 0 {
		g.Go(func() error {
			list, err := r.Client.CoreV1().Pods(ns).List(gctx, metav1.ListOptions{
				LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String(),
			})
			if err != nil {
				return fmt.Errorf("target %s: list pods selected by service %s/%s: %w", spec.Raw, ns, svc.Name, err)
			}
			pods = list.Items
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return v1alpha1.Target{}, err
	}
	t.Endpoint = Endpoints(slices, port)
	t.SelectedPods, t.UndeclaredPortPods = selectedPods(pods, port)
	return t, nil
}

// servicePort picks the Service port the user named (by name or number), or the
// first one when they named none.
func servicePort(svc *corev1.Service, want string) (corev1.ServicePort, error) {
	if len(svc.Spec.Ports) == 0 {
		return corev1.ServicePort{}, fmt.Errorf("service %s/%s has no ports", svc.Namespace, svc.Name)
	}
	if want == "" {
		return svc.Spec.Ports[0], nil
	}
	for _, p := range svc.Spec.Ports {
		if p.Name == want || strconv.Itoa(int(p.Port)) == want {
			return p, nil
		}
	}
	return corev1.ServicePort{}, fmt.Errorf("service %s/%s has no port %q (it has %s)", svc.Namespace, svc.Name, want, describePorts(svc.Spec.Ports))
}

func describePorts(ports []corev1.ServicePort) string {
	var parts []string
	for _, p := range ports {
		s := strconv.Itoa(int(p.Port)) + "/" + string(p.Protocol)
		if p.Name != "" {
			s = p.Name + " " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// targetPortString is the targetPort as written; an unset targetPort means the port itself.
func targetPortString(p corev1.ServicePort) string {
	if p.TargetPort.IntValue() == 0 && p.TargetPort.StrVal == "" {
		return strconv.Itoa(int(p.Port))
	}
	return p.TargetPort.String()
}

func clusterIPs(svc *corev1.Service) []string {
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	var out []string
	for _, ip := range ips {
		if ip != corev1.ClusterIPNone && ip != "" {
			out = append(out, ip)
		}
	}
	return out
}

// Endpoints lists every address of the slices that serves port, ready or not (the
// plan checks the ready ones; diagnosis sees the others), without duplicates:
// during a rollout one address can sit in two slices.
func Endpoints(slicesList []discoveryv1.EndpointSlice, port corev1.ServicePort) []v1alpha1.Endpoint {
	var out []v1alpha1.Endpoint
	seen := map[string]bool{}
	for _, s := range slicesList {
		if s.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		number, ok := slicePort(s.Ports, port)
		if !ok {
			continue
		}
		for _, ep := range s.Endpoints {
			for _, addr := range ep.Addresses {
				key := net.JoinHostPort(addr, strconv.Itoa(number))
				if seen[key] {
					continue
				}
				seen[key] = true
				e := v1alpha1.Endpoint{IP: addr, Port: number, Ready: ep.Conditions.Ready == nil || *ep.Conditions.Ready}
				if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
					e.Pod = ep.TargetRef.Name
				}
				if ep.NodeName != nil {
					e.Node = *ep.NodeName
				}
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b v1alpha1.Endpoint) int { return strings.Compare(a.IP, b.IP) })
	return out
}

// slicePort finds the slice's number for the Service port: slices name their
// ports after the Service port names ("" for a single unnamed port).
func slicePort(ports []discoveryv1.EndpointPort, want corev1.ServicePort) (int, bool) {
	for _, p := range ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if name == want.Name && proto == want.Protocol && p.Port != nil {
			return int(*p.Port), true
		}
	}
	return 0, false
}

// selectedPods counts the live pods a selector matches and names those none of
// whose containers declare the Service's targetPort.
func selectedPods(pods []corev1.Pod, port corev1.ServicePort) (int, []string) {
	count := 0
	var undeclared []string
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil {
			continue
		}
		count++
		if !declaresTargetPort(p, port) {
			undeclared = append(undeclared, p.Name)
		}
	}
	slices.Sort(undeclared)
	return count, undeclared
}

func declaresTargetPort(pod *corev1.Pod, port corev1.ServicePort) bool {
	tp := targetPortString(port)
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == tp || strconv.Itoa(int(cp.ContainerPort)) == tp {
				return true
			}
		}
	}
	return false
}
