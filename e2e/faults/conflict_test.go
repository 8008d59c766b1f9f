//go:build e2e

package faults_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

// A leaked namespace holding a live pod's IP and MAC on the same bridge,
// both talking now and then: connects to the pod are refused some of the
// time (the leak has no listener) and work the rest.
func TestLeakTakesOverPodIP(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "conflict", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	addr := httpAddr(pod)
	podNS := podNetns(t, pod)
	gw := gatewayOf(t, c, lab.Node2)
	mustAnswer(t, "", addr)

	t.Run("leak with the pod's IP and MAC", func(t *testing.T) {
		faults.LeakedNetns(t, faults.LeakOptions{Node: lab.Node2, IP: pod.Status.PodIP + "/24", MAC: macIn(t, podNS, "eth0"),
			Command: []string{"/bin/busybox", "ping", "-q", "-i", "0.002", gw}})
		faults.Chatter(t, podNS, net.JoinHostPort(gw, "9"), 2*time.Millisecond)
		ok, refused := 0, 0
		for i := 0; i < 40; i++ {
			_, err := framework.EchoGet("", addr, 2*time.Second)
			switch {
			case err == nil:
				ok++
			case strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "reset"):
				refused++
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("40 GETs: %d answered, %d refused", ok, refused)
		if ok == 0 || refused == 0 {
			t.Errorf("%d answered, %d refused: want both (intermittent)", ok, refused)
		}
	})
	mustAnswer(t, "", addr)
}

// gatewayOf is the first address of the node's pod CIDR (cni0's).
func gatewayOf(t *testing.T, c *framework.Cluster, n lab.Node) string {
	t.Helper()
	vtep, _, _ := framework.FlannelPeer(t, c, n)
	ip := net.ParseIP(vtep).To4()
	return fmt.Sprintf("%d.%d.%d.%d", ip[0], ip[1], ip[2], ip[3]+1)
}
