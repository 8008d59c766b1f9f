//go:build e2e

package faults_test

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/vishvananda/netlink"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// unusedPodIP is .250 of the node's podCIDR, provided no pod holds it.
func unusedPodIP(t *testing.T, c *framework.Cluster, n lab.Node) string {
	t.Helper()
	ctx := framework.Context(t, 10*time.Second)
	node, err := c.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, cidr, err := net.ParseCIDR(node.Spec.PodCIDR)
	if err != nil {
		t.Fatal(err)
	}
	ip := cidr.IP.To4()
	candidate := net.IPv4(ip[0], ip[1], ip[2], 250).String()
	pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.podIP=" + candidate})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) > 0 {
		t.Fatalf("%s is taken by pod %s/%s", candidate, pods.Items[0].Namespace, pods.Items[0].Name)
	}
	return candidate
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func sameNetns(t *testing.T, a, b string) bool {
	t.Helper()
	var sa, sb syscall.Stat_t
	if err := syscall.Stat(a, &sa); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(b, &sb); err != nil {
		t.Fatal(err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

func withLink(t *testing.T, netnsPath, name string, fn func(netlink.Link)) bool {
	t.Helper()
	link, err := framework.LinkByName(netnsPath, name)
	if err != nil {
		return false
	}
	if fn != nil {
		fn(link)
	}
	return true
}

func hasLink(t *testing.T, netnsPath, name string) bool { return withLink(t, netnsPath, name, nil) }

func linkMTU(t *testing.T, netnsPath, name string) int {
	t.Helper()
	mtu := -1
	if !withLink(t, netnsPath, name, func(l netlink.Link) { mtu = l.Attrs().MTU }) {
		t.Fatalf("no %s in %s", name, netnsPath)
	}
	return mtu
}

func macIn(t *testing.T, netnsPath, name string) string {
	t.Helper()
	var mac string
	if !withLink(t, netnsPath, name, func(l netlink.Link) { mac = l.Attrs().HardwareAddr.String() }) {
		t.Fatalf("no %s in %s", name, netnsPath)
	}
	return mac
}
