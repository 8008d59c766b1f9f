package framework

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitServiceProgrammed polls until kube-proxy on each given node has
// programmed every port of the Service with all its ready endpoints. Pods being
// Ready is not enough: kube-proxy lags by a second or two, and a test that
// connects at once sees a spurious failure.
func (c *Cluster) WaitServiceProgrammed(ctx context.Context, namespace, name string, nodes ...lab.Node) error {
	var last error
	for {
		if last = c.serviceProgrammed(ctx, namespace, name, nodes); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s/%s not programmed: %v (%w)", namespace, name, last, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (c *Cluster) serviceProgrammed(ctx context.Context, namespace, name string, nodes []lab.Node) error {
	svc, err := c.Client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	ready, err := c.readyEndpoints(ctx, namespace, name)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		dump, err := NodeIPTablesSave(ctx, n, "nat")
		if err != nil {
			return err
		}
		for _, p := range svc.Spec.Ports {
			if ready[p.Name] == 0 {
				return fmt.Errorf("port %s has no ready endpoints", p.Name)
			}
			got := programmedEndpoints(dump, svc.Spec.ClusterIP, p)
			if got != ready[p.Name] {
				return fmt.Errorf("%s: port %s has %d of %d endpoints programmed", n.Name, p.Name, got, ready[p.Name])
			}
		}
	}
	return nil
}

// readyEndpoints counts ready endpoint addresses per Service port name.
func (c *Cluster) readyEndpoints(ctx context.Context, namespace, name string) (map[string]int, error) {
	slices, err := c.Client.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + name,
	})
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, s := range slices.Items {
		n := 0
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				n += len(e.Addresses)
			}
		}
		for _, p := range s.Ports {
			if p.Name != nil {
				counts[*p.Name] += n
			}
		}
	}
	return counts, nil
}

// programmedEndpoints finds the KUBE-SVC chain kube-proxy jumps to for
// clusterIP:port and counts the endpoint (KUBE-SEP) rules in it.
func programmedEndpoints(natDump, clusterIP string, p corev1.ServicePort) int {
	proto := strings.ToLower(string(p.Protocol))
	port := strconv.Itoa(int(p.Port))
	svcChain := ""
	lines := strings.Split(natDump, "\n")
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" || f[1] != "KUBE-SERVICES" {
			continue
		}
		if flag(f, "-d") == clusterIP+"/32" && flag(f, "-p") == proto && flag(f, "--dport") == port && strings.HasPrefix(flag(f, "-j"), "KUBE-SVC-") {
			svcChain = flag(f, "-j")
			break
		}
	}
	if svcChain == "" {
		return 0
	}
	n := 0
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "-A" && f[1] == svcChain && strings.HasPrefix(flag(f, "-j"), "KUBE-SEP-") {
			n++
		}
	}
	return n
}

// flag returns the value after the option name in an iptables rule.
func flag(fields []string, name string) string {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == name {
			return fields[i+1]
		}
	}
	return ""
}

// NodeIPTablesSave dumps one iptables table of a node's network namespace.
func NodeIPTablesSave(ctx context.Context, n lab.Node, table string) (string, error) {
	out, err := exec.CommandContext(ctx, "nsenter", "--net="+n.NetnsPath(), "--", "iptables-save", "-t", table).Output()
	if err != nil {
		return "", fmt.Errorf("iptables-save -t %s on %s: %w", table, n.Name, err)
	}
	return string(out), nil
}
