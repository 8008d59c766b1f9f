//go:build e2e

package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Both nodes are Ready, have a podCIDR, and carry the annotations flannel's
// kube subnet manager writes itself; flannel.1 exists on each node with the
// MTU flannel derived from the node link.
func TestClusterNodesReadyWithFlannel(t *testing.T) {
	c := framework.Get(t)
	ctx := framework.Context(t, 30*time.Second)
	for _, n := range lab.Nodes {
		node, err := c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready := false
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready = true
			}
			if cond.Type == corev1.NodeNetworkUnavailable && cond.Status != corev1.ConditionFalse {
				t.Errorf("%s: NetworkUnavailable=%s, flannel should have cleared it", n.Name, cond.Status)
			}
		}
		if !ready {
			t.Errorf("%s is not Ready", n.Name)
		}
		if node.Spec.PodCIDR == "" {
			t.Errorf("%s has no podCIDR", n.Name)
		}
		a := node.Annotations
		if a["flannel.alpha.coreos.com/backend-type"] != "vxlan" || a["flannel.alpha.coreos.com/kube-subnet-manager"] != "true" ||
			!strings.Contains(a["flannel.alpha.coreos.com/backend-data"], "VtepMAC") || a["flannel.alpha.coreos.com/public-ip"] == "" {
			t.Errorf("%s: flannel annotations missing or wrong: %v", n.Name, a)
		}
		flannel1 := linkIn(t, n, "flannel.1")
		if mtu := flannel1.Attrs().MTU; mtu != lab.LinkMTU-50 {
			t.Errorf("%s flannel.1 MTU = %d, want %d (link MTU - VXLAN overhead)", n.Name, mtu, lab.LinkMTU-50)
		}
		if vx, ok := flannel1.(*netlink.Vxlan); !ok || vx.VxlanId != 1 || vx.Port != 8472 || vx.Learning {
			t.Errorf("%s flannel.1 = %+v, want VXLAN id 1, port 8472, nolearning", n.Name, flannel1)
		}
	}
}

// CoreDNS has one replica per node, and a pod on each node resolves a Service
// by its full name and by its short name through the search path.
func TestClusterDNSResolvesServiceFromEachNode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "dns", nil)
	pods := echoPodPerNode(t, c, ns, "echo")
	svc := c.CreateService(t, ns, framework.EchoService("echo", "echo"))

	ctx := framework.Context(t, time.Minute)
	dns, err := c.Client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
	if err != nil {
		t.Fatal(err)
	}
	onNode := map[string]bool{}
	for _, p := range dns.Items {
		onNode[p.Spec.NodeName] = true
	}
	if len(onNode) != len(lab.Nodes) {
		t.Errorf("CoreDNS replicas on nodes %v, want one on each of %d nodes", onNode, len(lab.Nodes))
	}

	for _, p := range pods {
		for _, name := range []string{"echo." + ns + ".svc.cluster.local", "echo"} {
			out, err := c.Exec(ctx, ns, p.Name, "", "/echoserver", "-lookup", name)
			if err != nil {
				t.Errorf("lookup %s from %s on %s: %v", name, p.Name, p.Spec.NodeName, err)
				continue
			}
			if got := strings.TrimSpace(out); got != svc.Spec.ClusterIP {
				t.Errorf("lookup %s from %s on %s = %q, want %s", name, p.Name, p.Spec.NodeName, got, svc.Spec.ClusterIP)
			}
		}
	}
}

// Pod to pod across nodes goes over flannel.1 and the server sees the client
// pod's own IP: no SNAT on the pod network.
func TestClusterPodToPodAcrossNodesKeepsSourceIP(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "p2p", nil)
	pods := echoPodPerNode(t, c, ns, "echo")
	ctx := framework.Context(t, time.Minute)

	for i, from := range pods {
		to := pods[(i+1)%len(pods)]
		fromNode, _ := framework.NodeOf(from)
		before := linkIn(t, fromNode, "flannel.1").Attrs().Statistics.TxPackets

		out, err := c.Exec(ctx, ns, from.Name, "", "/echoserver", "-get", fmt.Sprintf("http://%s:%d/", to.Status.PodIP, framework.EchoHTTPPort))
		if err != nil {
			t.Fatalf("%s -> %s: %v", from.Name, to.Name, err)
		}
		rep, err := framework.ParseEchoReply(out)
		if err != nil {
			t.Fatal(err)
		}
		if rep.RemoteIP() != from.Status.PodIP {
			t.Errorf("%s (%s) -> %s: server saw %s, want the client pod IP", from.Name, from.Status.PodIP, to.Name, rep.Remote)
		}
		if after := linkIn(t, fromNode, "flannel.1").Attrs().Statistics.TxPackets; after <= before {
			t.Errorf("%s flannel.1 sent no packets (%d -> %d): traffic did not cross the VXLAN", fromNode.Name, before, after)
		}
	}
}

// A ClusterIP answers from pods on both nodes and from both nodes themselves
// (each node's own kube-proxy rules).
func TestClusterIPAnswersFromBothNodes(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "clusterip", nil)
	pods := echoPodPerNode(t, c, ns, "echo")
	svc := c.CreateService(t, ns, framework.EchoService("echo", "echo"))
	addr := svc.Spec.ClusterIP + ":80"
	ctx := framework.Context(t, time.Minute)

	for _, p := range pods {
		out, err := c.Exec(ctx, ns, p.Name, "", "/echoserver", "-get", "http://"+addr+"/")
		if err != nil {
			t.Errorf("ClusterIP from pod on %s: %v", p.Spec.NodeName, err)
			continue
		}
		if _, err := framework.ParseEchoReply(out); err != nil {
			t.Error(err)
		}
	}
	for _, n := range lab.Nodes {
		rep, err := framework.EchoGet(n.NetnsPath(), addr, 5*time.Second)
		if err != nil {
			t.Errorf("ClusterIP from node %s: %v", n.Name, err)
			continue
		}
		t.Logf("node %s -> %s answered by %s, saw client %s", n.Name, addr, rep.Hostname, rep.Remote)
	}
}

// An ephemeral container starts through pods/ephemeralcontainers in a pod on
// each node and shares the pod's network namespace.
func TestClusterEphemeralContainerOnEachNode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "ephemeral", nil)
	ctx := framework.Context(t, 2*time.Minute)
	for _, p := range echoPodPerNode(t, c, ns, "target") {
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
			TargetContainerName: "echo",
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debugger", Image: lab.EchoImage, ImagePullPolicy: corev1.PullNever, Args: []string{"-idle"},
			},
		})
		if _, err := c.Client.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, p.Name, p, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("add ephemeral container to %s: %v", p.Name, err)
		}
		if err := c.WaitEphemeralRunning(ctx, ns, p.Name, "debugger"); err != nil {
			t.Fatalf("on %s: %v", p.Spec.NodeName, err)
		}
		out, err := c.Exec(ctx, ns, p.Name, "debugger", "/echoserver", "-interfaces")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, p.Status.PodIP+"/") {
			t.Errorf("ephemeral container on %s does not see the pod IP %s:\n%s", p.Spec.NodeName, p.Status.PodIP, out)
		}
	}
}

// A hostNetwork+hostPID privileged pod on node 2 enters another pod's network
// namespace through /proc/<pid>/ns/net and reaches a listener bound to that
// pod's loopback, which is unreachable from outside the pod.
func TestClusterHostPIDPodEntersPodNetns(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "hostpid", nil)
	target := c.CreatePod(t, ns, framework.EchoPod("loopback-only", lab.Node2.Name, "-http", "127.0.0.1:8080"))
	pid, err := framework.PodPID(target, "echo")
	if err != nil {
		t.Fatal(err)
	}

	privileged := true
	node := framework.EchoPod("node-debug", lab.Node2.Name, "-idle")
	node.Spec.HostNetwork, node.Spec.HostPID = true, true
	node.Spec.Containers[0].Ports = nil
	node.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &privileged}
	node = c.CreatePod(t, ns, node)
	ctx := framework.Context(t, time.Minute)

	netnsPath := fmt.Sprintf("/proc/%d/ns/net", pid)
	out, err := c.Exec(ctx, ns, node.Name, "", "/echoserver", "-netns", netnsPath, "-interfaces")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, target.Status.PodIP+"/") {
		t.Errorf("inside %s the node pod does not see the target pod IP %s:\n%s", netnsPath, target.Status.PodIP, out)
	}
	out, err = c.Exec(ctx, ns, node.Name, "", "/echoserver", "-netns", netnsPath, "-get", "http://127.0.0.1:8080/")
	if err != nil {
		t.Fatalf("loopback listener from inside the pod netns: %v", err)
	}
	if rep, err := framework.ParseEchoReply(out); err != nil || rep.Local != "127.0.0.1:8080" {
		t.Errorf("reply %+v (%v), want one from 127.0.0.1:8080", rep, err)
	}
	if _, err := framework.EchoGet("", target.Status.PodIP+":8080", 3*time.Second); err == nil {
		t.Error("the loopback-only listener answered on the pod IP")
	}
}

// Every node's containerd holds the lab's images under localhost/, including
// the probe image built from this tree by framework.Main.
func TestClusterImagesOnBothNodes(t *testing.T) {
	c := framework.Get(t)
	ctx := framework.Context(t, 30*time.Second)
	for _, n := range lab.Nodes {
		out, err := exec.CommandContext(ctx, "ctr", "-n", "k8s.io", "-a", c.Lab.ContainerdSock(n), "images", "ls", "-q").Output()
		if err != nil {
			t.Fatalf("list images on %s: %v", n.Name, err)
		}
		have := map[string]bool{}
		for _, ref := range strings.Fields(string(out)) {
			have[ref] = true
		}
		for _, want := range []string{lab.PauseImage, lab.CoreDNSImage, lab.EchoImage, lab.ProbeImage} {
			if !have[want] {
				t.Errorf("%s lacks image %s (has %v)", n.Name, want, strings.Fields(string(out)))
			}
		}
	}
}

// The plugin built from this tree defaults to the probe image the lab imports,
// and kubectl finds it as a plugin through the PATH `make cluster-env` sets.
func TestClusterNetcheckPluginUsesLabProbeImage(t *testing.T) {
	c := framework.Get(t)
	ctx := framework.Context(t, 30*time.Second)
	res := c.Netcheck(t, ctx, "image")
	if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != lab.ProbeImage {
		t.Errorf("kubectl-netcheck image = %q (exit %d), want %s", res.Stdout, res.ExitCode, lab.ProbeImage)
	}
	out, err := c.Kubectl(ctx, "netcheck", "image")
	if err != nil || strings.TrimSpace(out) != lab.ProbeImage {
		t.Errorf("kubectl netcheck image = %q (%v), want %s", out, err, lab.ProbeImage)
	}
}

// echoPodPerNode starts an echo pod on every node, all labelled app=<app>.
func echoPodPerNode(t *testing.T, c *framework.Cluster, ns, app string) []*corev1.Pod {
	t.Helper()
	var pods []*corev1.Pod
	for i, n := range lab.Nodes {
		p := framework.EchoPod(fmt.Sprintf("%s-%d", app, i+1), n.Name)
		p.Labels["app"] = app
		pods = append(pods, c.CreatePod(t, ns, p))
	}
	return pods
}

// linkIn reads a link (with counters) from a node's network namespace.
func linkIn(t *testing.T, n lab.Node, name string) netlink.Link {
	t.Helper()
	link, err := framework.LinkByName(n.NetnsPath(), name)
	if err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	return link
}
