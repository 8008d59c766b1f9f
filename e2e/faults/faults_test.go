//go:build e2e

package faults_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }

// Each test injects a fault inside a subtest, shows it takes effect there, and
// shows after the subtest (its cleanups have run) that it is gone again.

func TestSysctlOnNode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "sysctl", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	addr := httpAddr(pod)
	mustAnswer(t, "", addr)

	t.Run("ip_forward off on node 2", func(t *testing.T) {
		faults.Sysctl(t, lab.Node2.NetnsPath(), "net.ipv4.ip_forward", "0")
		if v, _ := faults.ReadSysctl(lab.Node2.NetnsPath(), "net.ipv4.ip_forward"); v != "0" {
			t.Fatalf("ip_forward on node 2 = %q, want 0", v)
		}
		if v, _ := faults.ReadSysctl(lab.Node1.NetnsPath(), "net.ipv4.ip_forward"); v != "1" {
			t.Errorf("node 1 ip_forward = %q: the fault leaked out of node 2's namespace", v)
		}
		mustNotAnswer(t, "", addr)
	})
	if v, _ := faults.ReadSysctl(lab.Node2.NetnsPath(), "net.ipv4.ip_forward"); v != "1" {
		t.Errorf("ip_forward on node 2 = %q after cleanup, want 1", v)
	}
	mustAnswer(t, "", addr)
}

func TestIPTablesRuleInPodAndOnNode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "iptables", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	podNetns := podNetns(t, pod)
	addr := httpAddr(pod)
	mustAnswer(t, "", addr)

	t.Run("reject in the pod", func(t *testing.T) {
		faults.IPTablesRule(t, podNetns, "filter", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "REJECT", "--reject-with", "tcp-reset")
		_, err := framework.EchoGet("", addr, 3*time.Second)
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("GET %s with a reset rule in the pod: err = %v, want connection refused", addr, err)
		}
	})
	mustAnswer(t, "", addr)

	t.Run("drop forwarding on node 2", func(t *testing.T) {
		faults.IPTablesRule(t, lab.Node2.NetnsPath(), "filter", "FORWARD", "-d", pod.Status.PodIP, "-p", "tcp", "--dport", "8080", "-j", "DROP")
		mustNotAnswer(t, "", addr)
	})
	mustAnswer(t, "", addr)
}

func TestRandomDropInPod(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "random", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node1.Name))
	addr := fmt.Sprintf("%s:%d", pod.Status.PodIP, framework.EchoUDPPort)

	t.Run("half the datagrams dropped", func(t *testing.T) {
		faults.IPTablesRule(t, podNetns(t, pod), "filter", "INPUT", faults.RandomDrop(0.5, "-p", "udp", "--dport", "9000")...)
		// 100 tries at p=0.5: outside 20..80 answers happens with odds below 1e-9.
		if got := udpAnswers(t, addr, 100, 64); got < 20 || got > 80 {
			t.Errorf("%d of 100 datagrams answered with a 50%% random drop", got)
		}
	})
	if got := udpAnswers(t, addr, 20, 64); got != 20 {
		t.Errorf("%d of 20 datagrams answered after cleanup, want all", got)
	}
}

func TestMTUInPod(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "mtu", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node1.Name))
	path := podNetns(t, pod)
	addr := fmt.Sprintf("%s:%d", pod.Status.PodIP, framework.EchoUDPPort)

	t.Run("pod eth0 MTU 1000", func(t *testing.T) {
		faults.MTU(t, path, "eth0", 1000)
		if got := linkMTU(t, path, "eth0"); got != 1000 {
			t.Fatalf("eth0 MTU = %d, want 1000", got)
		}
		// The node side still sends 1500-byte frames; the veth drops what
		// exceeds the pod end's MTU.
		if got := udpAnswers(t, addr, 3, 1400); got != 0 {
			t.Errorf("%d of 3 1400-byte datagrams got through a 1000-byte MTU", got)
		}
		if got := udpAnswers(t, addr, 3, 500); got != 3 {
			t.Errorf("%d of 3 500-byte datagrams answered", got)
		}
	})
	if got := linkMTU(t, path, "eth0"); got != 1500 {
		t.Errorf("eth0 MTU = %d after cleanup, want 1500", got)
	}
	if got := udpAnswers(t, addr, 3, 1400); got != 3 {
		t.Errorf("%d of 3 1400-byte datagrams answered after cleanup", got)
	}
}

func TestNeighborAndFDBOnFlannel(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "vxlan", nil)
	pod := c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node2.Name))
	addr := httpAddr(pod)
	vtepIP, vtepMAC, publicIP := framework.FlannelPeer(t, c, lab.Node2)
	node1 := lab.Node1.NetnsPath()
	mustAnswer(t, "", addr)

	t.Run("neighbour of node 2's VTEP replaced", func(t *testing.T) {
		faults.Neighbor(t, node1, "flannel.1", vtepIP, "02:00:00:00:00:01")
		mustNotAnswer(t, "", addr)
	})
	mustAnswer(t, "", addr)

	t.Run("FDB of node 2's VTEP MAC points at node 1", func(t *testing.T) {
		// Node 1's own IP: the misdirected VXLAN packets stay on this machine.
		faults.FDB(t, node1, "flannel.1", vtepMAC, lab.APIServerIP)
		if dst, err := faults.FDBDst(node1, "flannel.1", vtepMAC); err != nil || dst.String() != lab.APIServerIP {
			t.Fatalf("FDB dst = %v (%v), want %s", dst, err, lab.APIServerIP)
		}
		mustNotAnswer(t, "", addr)
	})
	if dst, err := faults.FDBDst(node1, "flannel.1", vtepMAC); err != nil || dst.String() != publicIP {
		t.Errorf("FDB dst after cleanup = %v (%v), want flannel's %s", dst, err, publicIP)
	}
	mustAnswer(t, "", addr)
}

func TestLeakedNetnsOnEachNode(t *testing.T) {
	c := framework.Get(t)
	echo := faults.EchoServerBinary(t)
	for _, n := range lab.Nodes {
		t.Run(n.Name, func(t *testing.T) {
			ip := unusedPodIP(t, c, n)
			addr := ip + ":8080"
			var leak *faults.Leak
			t.Run("leaked", func(t *testing.T) {
				leak = faults.LeakedNetns(t, faults.LeakOptions{
					Node: n, IP: ip + "/24", MAC: "02:42:0a:f4:ff:fa",
					Command: []string{echo, "-http", ":8080"},
				})
				if ppid := parentOf(t, leak.PID); ppid != 1 {
					t.Errorf("leaked process %d has parent %d, want 1", leak.PID, ppid)
				}
				if sameNetns(t, leak.NetnsPath, n.NetnsPath()) {
					t.Error("the leaked process runs in the node's own namespace")
				}
				// The leak answers on its IP, from node 1, routed like a pod.
				var rep framework.EchoReply
				var err error
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
					if rep, err = framework.EchoGet("", addr, 2*time.Second); err == nil || time.Now().After(deadline) {
						break
					}
				}
				if err != nil {
					t.Fatalf("leaked echo server on %s: %v", addr, err)
				}
				if host, _ := os.Hostname(); rep.Hostname != host {
					t.Errorf("answered by %q, want the leaked host process (%q), not a pod", rep.Hostname, host)
				}
				if hw := macIn(t, leak.NetnsPath, "eth0"); hw != "02:42:0a:f4:ff:fa" {
					t.Errorf("leaked eth0 MAC = %s", hw)
				}
			})
			if leak != nil && faults.ProcessAlive(leak.PID) {
				t.Errorf("leaked process %d survived cleanup", leak.PID)
			}
			if leak != nil && hasLink(t, n.NetnsPath(), leak.HostVeth) {
				t.Errorf("leaked veth %s survived cleanup", leak.HostVeth)
			}
			mustNotAnswer(t, "", addr)
		})
	}
}

func TestFreezeCoreDNSReplica(t *testing.T) {
	c := framework.Get(t)
	pod := faults.CoreDNSPod(t, c, lab.Node2)
	mustResolve(t, pod.Status.PodIP)
	t.Run("frozen", func(t *testing.T) {
		frozen := faults.FreezeCoreDNS(t, c, lab.Node2)
		pid, err := framework.PodPID(frozen, "coredns")
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := faults.ProcessState(pid); s != "T" {
			t.Errorf("CoreDNS process state %q, want T (stopped)", s)
		}
		if _, err := resolveVia(frozen.Status.PodIP); err == nil {
			t.Error("a frozen CoreDNS answered")
		}
		mustResolve(t, faults.CoreDNSPod(t, c, lab.Node1).Status.PodIP)
	})
	mustResolve(t, pod.Status.PodIP)
}

func TestDropDNSInReplica(t *testing.T) {
	c := framework.Get(t)
	pod := faults.CoreDNSPod(t, c, lab.Node1)
	mustResolve(t, pod.Status.PodIP)
	t.Run("dropped", func(t *testing.T) {
		dropped := faults.DropDNS(t, c, lab.Node1)
		if _, err := resolveVia(dropped.Status.PodIP); err == nil {
			t.Error("CoreDNS answered through a port-53 drop")
		}
		pid, _ := framework.PodPID(dropped, "coredns")
		if s, _ := faults.ProcessState(pid); s == "T" {
			t.Error("DropDNS stopped the process; it should only drop packets")
		}
		mustResolve(t, faults.CoreDNSPod(t, c, lab.Node2).Status.PodIP)
	})
	mustResolve(t, pod.Status.PodIP)
}

func TestStopKubeProxy(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "kubeproxy", nil)
	c.CreatePod(t, ns, framework.EchoPod("echo", lab.Node1.Name))
	var svc *corev1.Service
	t.Run("stopped on node 2", func(t *testing.T) {
		faults.StopKubeProxy(t, lab.Node2)
		if faults.KubeProxyRunning(lab.Node2) {
			t.Fatal("kube-proxy still runs on node 2")
		}
		ctx := framework.Context(t, time.Minute)
		var err error
		svc, err = c.Client.CoreV1().Services(ns).Create(ctx, framework.EchoService("late", "echo"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitServiceProgrammed(ctx, ns, svc.Name, lab.Node1); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := c.WaitServiceProgrammed(short, ns, svc.Name, lab.Node2); err == nil {
			t.Error("node 2 programmed a new Service without kube-proxy")
		}
	})
	if !faults.KubeProxyRunning(lab.Node2) {
		t.Fatal("kube-proxy not restarted on node 2")
	}
	if err := c.WaitServiceProgrammed(framework.Context(t, time.Minute), ns, svc.Name, lab.Node2); err != nil {
		t.Errorf("after restart: %v", err)
	}
}

// --- helpers ---

func httpAddr(p *corev1.Pod) string {
	return fmt.Sprintf("%s:%d", p.Status.PodIP, framework.EchoHTTPPort)
}

func podNetns(t *testing.T, p *corev1.Pod) string {
	t.Helper()
	path, err := framework.PodNetnsPath(p)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func mustAnswer(t *testing.T, from, addr string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, err = framework.EchoGet(from, addr, 2*time.Second); err == nil {
			return
		}
	}
	t.Fatalf("%s does not answer: %v", addr, err)
}

func mustNotAnswer(t *testing.T, from, addr string) {
	t.Helper()
	if rep, err := framework.EchoGet(from, addr, 2*time.Second); err == nil {
		t.Fatalf("%s answered (%+v) while the fault is in place", addr, rep)
	}
}

// udpAnswers sends n datagrams of size bytes from node 1, one at a time, and
// counts the replies.
func udpAnswers(t *testing.T, addr string, n, size int) int {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := 0
	buf := make([]byte, 256)
	for i := 0; i < n; i++ {
		if _, err := conn.Write(make([]byte, size)); err != nil {
			continue
		}
		_ = conn.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		if _, err := conn.Read(buf); err == nil {
			got++
		}
	}
	return got
}

func resolveVia(server string) ([]string, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(server, "53"))
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.LookupHost(ctx, "kubernetes.default.svc.cluster.local")
}

func mustResolve(t *testing.T, server string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var addrs []string
		if addrs, err = resolveVia(server); err == nil {
			if len(addrs) != 1 || addrs[0] != lab.KubernetesSvc {
				t.Fatalf("CoreDNS %s resolved kubernetes.default to %v", server, addrs)
			}
			return
		}
	}
	t.Fatalf("CoreDNS %s does not answer: %v", server, err)
}
