//go:build e2e

package netcheck

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #4, the IP conflict seed: a namespace a dead pod left behind on node
// 2's cni0 holds the web pod's IP and MAC, kept alive by a process
// re-parented to PID 1, with no listener. Both stacks keep talking (the leak
// pings the gateway, the pod sends datagrams out), so the bridge keeps
// relearning which port owns the MAC and connects to the pod are refused
// some of the time. arping -D would see nothing: one MAC answers.
func TestNodeFaultIPConflict(t *testing.T) {
	c := framework.Get(t)
	x := newCrossNode(t, c, "ipconflict")
	webNetns := podNetns(t, x.web)
	mac := linkMAC(t, webNetns, "eth0")
	cidr := podCIDR(t, c, lab.Node2)
	ones, _ := cidr.Mask.Size()
	gw := net.IP(append([]byte(nil), cidr.IP.To4()...))
	gw[3]++

	leak := faults.LeakedNetns(t, faults.LeakOptions{Node: lab.Node2, IP: fmt.Sprintf("%s/%d", x.web.Status.PodIP, ones), MAC: mac,
		Command: []string{"/bin/busybox", "ping", "-q", "-i", "0.002", gw.String()}})
	// Every 2 ms each side reclaims the MAC: the probe's connects come in
	// bursts of a few milliseconds, and must meet both owners.
	faults.Chatter(t, webNetns, net.JoinHostPort(gw.String(), "9"), 2*time.Millisecond)

	rep := netcheckNode(t, c, v1alpha1.ExitFault, "-n", x.ns, "client", "--to", "pod/web", "--count", "40")
	f := requireFinding(t, rep, diagnose.IDPodIPConflict)
	mentions(t, f, lab.Node2.Name, x.web.Status.PodIP, "pod "+x.ns+"/web")
	evidenceHas(t, f, fmt.Sprintf("pid %d", leak.PID), "parent 1", "leaked: yes", "same MAC "+mac, "arping -D")
	// The leak is the second holder, named with its bridge port.
	hopNames(t, f, lab.Node2.Name, leak.HostVeth)

	res := tcpResult(t, rep, x.webAddr()).TCP
	if res.Counts[v1alpha1.TCPOK] == 0 || res.Counts[v1alpha1.TCPRefused]+res.Counts[v1alpha1.TCPReset] == 0 {
		t.Errorf("connects to %s: %v, want some connected and some refused (intermittent RSTs)", x.webAddr(), res.Counts)
	}
}
