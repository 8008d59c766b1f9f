//go:build e2e

package faults_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

func TestDropDNSOverOneTransport(t *testing.T) {
	c := framework.Get(t)
	ip := faults.CoreDNSPod(t, c, lab.Node1).Status.PodIP
	for _, tc := range []struct{ dropped, kept string }{{"tcp", "udp"}, {"udp", "tcp"}} {
		t.Run(tc.dropped+" dropped", func(t *testing.T) {
			faults.DropDNSOver(t, c, lab.Node1, tc.dropped)
			if _, err := resolveOver(ip, tc.dropped); err == nil {
				t.Errorf("CoreDNS %s answered over %s through the drop", ip, tc.dropped)
			}
			if _, err := resolveOver(ip, tc.kept); err != nil {
				t.Errorf("CoreDNS %s over %s: %v; only %s should be dropped", ip, tc.kept, err, tc.dropped)
			}
		})
		if _, err := resolveOver(ip, tc.dropped); err != nil {
			t.Errorf("after cleanup, CoreDNS %s over %s: %v", ip, tc.dropped, err)
		}
	}
}

func TestBreakServiceIP(t *testing.T) {
	c := framework.Get(t)
	mustResolve(t, lab.ClusterDNS)
	t.Run("kube-dns ClusterIP on node 1", func(t *testing.T) {
		deleted := faults.BreakServiceIP(t, lab.Node1, lab.ClusterDNS)
		if faults.KubeProxyRunning(lab.Node1) {
			t.Error("kube-proxy still runs on node 1: it would put the rules back")
		}
		if n := serviceRules(t, lab.Node1, lab.ClusterDNS); n != 0 {
			t.Errorf("%d KUBE-SERVICES rules for %s left on node 1 (deleted %d)", n, lab.ClusterDNS, len(deleted))
		}
		// The test runs in node 1's netns: its own lookups take the broken path.
		if _, err := resolveVia(lab.ClusterDNS); err == nil {
			t.Errorf("%s answered from node 1 without its Service rules", lab.ClusterDNS)
		}
		for _, n := range lab.Nodes {
			mustResolve(t, faults.CoreDNSPod(t, c, n).Status.PodIP)
		}
	})
	if !faults.KubeProxyRunning(lab.Node1) {
		t.Fatal("kube-proxy not restarted on node 1")
	}
	if n := serviceRules(t, lab.Node1, lab.ClusterDNS); n == 0 {
		t.Errorf("no KUBE-SERVICES rule for %s on node 1 after cleanup", lab.ClusterDNS)
	}
	mustResolve(t, lab.ClusterDNS)
}

func TestResolvConfOfPod(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "resolvconf", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name, "-idle"))
	lookup := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := c.Exec(ctx, ns, pod.Name, "", "/echoserver", "-lookup", "kubernetes.default.svc.cluster.local", "-timeout", "2s")
		return err
	}
	if err := lookup(); err != nil {
		t.Fatalf("lookup in a healthy pod: %v", err)
	}
	t.Run("no nameserver", func(t *testing.T) {
		faults.ResolvConf(t, pod, "search "+ns+".svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n")
		if err := lookup(); err == nil {
			t.Error("the pod resolved a name with no nameserver in its resolv.conf")
		}
	})
	if err := lookup(); err != nil {
		t.Errorf("lookup after cleanup: %v", err)
	}
}

// resolveOver asks server over one transport only ("udp" or "tcp").
func resolveOver(server, transport string) ([]string, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		// The resolver frames its queries by the conn it gets: a stream conn means DNS over TCP.
		return d.DialContext(ctx, transport, net.JoinHostPort(server, "53"))
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.LookupHost(ctx, "kubernetes.default.svc.cluster.local")
}

// serviceRules counts node's KUBE-SERVICES rules to clusterIP.
func serviceRules(t *testing.T, node lab.Node, clusterIP string) int {
	t.Helper()
	dump, err := framework.NodeIPTablesSave(framework.Context(t, 10*time.Second), node, "nat")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(dump, "\n") {
		if strings.HasPrefix(l, "-A KUBE-SERVICES ") && strings.Contains(l, " -d "+clusterIP+"/32 ") {
			n++
		}
	}
	return n
}
