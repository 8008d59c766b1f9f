package criclient_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/criclient"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// fakeKubelet lays out procRoot/<pid> as a kubelet's: stat, cmdline, a ns/net
// that is netNSFile, and root, the kubelet's filesystem.
func fakeKubelet(t *testing.T, procRoot string, pid int, comm, netNSFile string, args ...string) (root string) {
	t.Helper()
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	root = filepath.Join(t.TempDir(), "kubelet-root")
	for _, d := range []string{dir + "/ns", root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dir+"/stat", strconv.Itoa(pid)+" ("+comm+") S 1 1 1 0 -1\n")
	write(dir+"/cmdline", strings.Join(append([]string{"/usr/bin/" + comm}, args...), "\x00")+"\x00")
	for link, target := range map[string]string{dir + "/ns/net": netNSFile, dir + "/root": root} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func ownNetNS(t *testing.T) uint64 {
	id, err := netns.StatID("/proc/self/ns/net")
	if err != nil {
		t.Skipf("no /proc/self/ns/net: %v", err)
	}
	return id.Ino
}

// Two kubelets on one host, one per node namespace: the one in ours wins.
// Its config file (relative to nothing: absolute, read through its root)
// names the endpoint through /var/run, a symlink to /run inside that root;
// the socket is dialled there.
func TestFindKubeletRuntimeFromConfigFile(t *testing.T) {
	procRoot := t.TempDir()
	otherNS := filepath.Join(t.TempDir(), "other-netns") // a different inode than ours
	if err := os.WriteFile(otherNS, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fakeKubelet(t, procRoot, 90, "kubelet", otherNS, "--container-runtime-endpoint=unix:///run/other.sock")
	fakeKubelet(t, procRoot, 95, "containerd", "/proc/self/ns/net", "--config", "/etc/k/kubelet.yaml")
	root := fakeKubelet(t, procRoot, 100, "kubelet", "/proc/self/ns/net", "--kubeconfig=/etc/k/kubeconfig", "--config", "/etc/k/kubelet.yaml")
	if err := os.MkdirAll(root+"/etc/k", 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" +
		"nested:\n  containerRuntimeEndpoint: unix:///wrong.sock\n" +
		"containerRuntimeEndpoint: \"unix:///var/run/rt/containerd.sock\" # the runtime\n"
	if err := os.WriteFile(root+"/etc/k/kubelet.yaml", []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root+"/run/rt", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root+"/var", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run", root+"/var/run"); err != nil {
		t.Fatal(err)
	}

	kr, err := criclient.FindKubeletRuntime(procRoot, ownNetNS(t))
	if err != nil {
		t.Fatal(err)
	}
	want := criclient.KubeletRuntime{PID: 100, Endpoint: "unix:///var/run/rt/containerd.sock",
		Socket: procRoot + "/100/root/run/rt/containerd.sock", From: "kubelet config /etc/k/kubelet.yaml"}
	if kr != want {
		t.Fatalf("FindKubeletRuntime = %+v\nwant %+v", kr, want)
	}

	// DialNode follows it to a runtime serving there.
	critest.ServeAt(t, &critest.Runtime{}, root+"/run/rt/containerd.sock")
	c, err := criclient.DialNode(ctx(t), criclient.Where{ProcRoot: procRoot, HostRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Runtime() != "critest v0" || c.Source() != "kubelet config /etc/k/kubelet.yaml of kubelet pid 100" {
		t.Errorf("DialNode: runtime %q source %q", c.Runtime(), c.Source())
	}
}

func TestFindKubeletRuntimeFromFlag(t *testing.T) {
	procRoot := t.TempDir()
	fakeKubelet(t, procRoot, 7, "kubelet", "/proc/self/ns/net", "--container-runtime-endpoint", "/run/crio/crio.sock", "--config=/missing.yaml")
	kr, err := criclient.FindKubeletRuntime(procRoot, ownNetNS(t))
	if err != nil || kr.Endpoint != "/run/crio/crio.sock" || kr.Socket != procRoot+"/7/root/run/crio/crio.sock" ||
		kr.From != "kubelet flag --container-runtime-endpoint" {
		t.Fatalf("FindKubeletRuntime = %+v, %v", kr, err)
	}

	if _, err := criclient.FindKubeletRuntime(t.TempDir(), ownNetNS(t)); err == nil || !strings.Contains(err.Error(), "no kubelet process") {
		t.Errorf("no kubelet: err = %v", err)
	}
	tcp := t.TempDir()
	fakeKubelet(t, tcp, 8, "kubelet", "/proc/self/ns/net", "--container-runtime-endpoint=tcp://10.0.0.1:3735")
	if _, err := criclient.FindKubeletRuntime(tcp, ownNetNS(t)); err == nil || !strings.Contains(err.Error(), "not a unix socket") {
		t.Errorf("tcp endpoint: err = %v", err)
	}
}

// The lab's nodes are two kubelets on this host, each in its node's network
// namespace with its own containerd: from each namespace, discovery must pick
// that node's kubelet and socket, and the socket must answer as containerd.
func TestFindKubeletRuntimeOnTheLab(t *testing.T) {
	if _, err := os.Stat(labSocket); err != nil {
		t.Skipf("no local lab cluster (%v)", err)
	}
	pids, err := netns.ListPIDs("/proc")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, pid := range pids {
		p, err := netns.ReadProcess("/proc", pid)
		if err != nil || p.Comm != "kubelet" {
			continue
		}
		args, _ := netns.ReadCmdline("/proc", pid)
		var node string
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--hostname-override="); ok {
				node = v
			}
		}
		id, err := netns.StatID("/proc/" + strconv.Itoa(pid) + "/ns/net")
		if err != nil || !strings.HasPrefix(node, "netcheck-node") {
			continue
		}
		found++
		kr, err := criclient.FindKubeletRuntime("/proc", id.Ino)
		if err != nil {
			t.Fatalf("%s (kubelet %d): %v", node, pid, err)
		}
		wantEP := "unix:///var/lib/netcheck-lab/run/" + node + "/containerd.sock"
		if kr.PID != pid || kr.Endpoint != wantEP || kr.From != "kubelet config /var/lib/netcheck-lab/etc/"+node+"/kubelet.yaml" {
			t.Errorf("%s: %+v; want kubelet %d with %s from its config", node, kr, pid, wantEP)
		}
		c, err := criclient.Dial(ctx(t), kr.Socket)
		if err != nil {
			t.Fatalf("%s: %v", node, err)
		}
		if !strings.HasPrefix(c.Runtime(), "containerd ") {
			t.Errorf("%s: runtime %q", node, c.Runtime())
		}
		t.Logf("%s: kubelet %d -> %s (%s)", node, pid, kr.Socket, c.Runtime())
		_ = c.Close()
	}
	if found < 2 {
		t.Errorf("found %d lab kubelets, want 2", found)
	}
}
