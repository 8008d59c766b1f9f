package podnetns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/podnetns/podnetnstest"
)

const podResolvConf = "nameserver 10.77.0.53\nsearch netcheck.test\noptions ndots:1\n"

func open(t *testing.T, ref v1alpha1.NetnsRef) *Target {
	t.Helper()
	tg, err := Open(ref)
	if err != nil {
		t.Fatalf("Open(%+v): %v", ref, err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg
}

// Every kind of reference finds the pod's real namespace; the resolver config
// comes from the app container (the pause container has none).
func TestOpenEveryReference(t *testing.T) {
	pod := podnetnstest.Start(t, podResolvConf)
	want, err := netns.StatID(pod.NamespacePathOnNode)
	if err != nil {
		t.Fatal(err)
	}
	// A runtime that knows the pod (its sandbox and both containers), one
	// that does not, and a socket that is not there.
	knows := critest.Serve(t, &critest.Runtime{
		Sandboxes:  []critest.Sandbox{{ID: "sb-web", Namespace: "default", Name: "web", UID: pod.UID, NetNSPath: pod.NamespacePathOnNode, PID: pod.PausePID}},
		Containers: []critest.Container{{ID: pod.AppID, PID: pod.AppPID}, {ID: pod.PauseID, PID: pod.PausePID}},
	})
	blank := critest.Serve(t, &critest.Runtime{})
	gone := filepath.Join(t.TempDir(), "gone.sock")
	const viaCRI = " via cri critest v0"
	for _, tc := range []struct {
		name    string
		ref     v1alpha1.NetnsRef
		pid     int
		resolv  string
		descPfx string
		via     string
	}{
		{"pod UID over CRI: the sandbox's pause PID", v1alpha1.NetnsRef{PodUID: pod.UID, Label: "pod default/web", CRISocket: knows},
			pod.PausePID, pod.ResolvConfOnNode, "pod default/web: pid ", viaCRI},
		{"pod UID, systemd spelling, over CRI", v1alpha1.NetnsRef{PodUID: strings.ReplaceAll(pod.UID, "-", "_"), CRISocket: knows},
			pod.PausePID, pod.ResolvConfOnNode, "pid ", viaCRI},
		{"app container ID with scheme over CRI", v1alpha1.NetnsRef{ContainerID: "containerd://" + pod.AppID, CRISocket: knows},
			pod.AppPID, pod.ResolvConfOnNode, "pid ", viaCRI},
		{"pause container over CRI: no resolv.conf", v1alpha1.NetnsRef{ContainerID: pod.PauseID, CRISocket: knows},
			pod.PausePID, "", "pid ", viaCRI},
		{"pod UID the runtime does not know: cgroup scan", v1alpha1.NetnsRef{PodUID: pod.UID, Label: "pod default/web", CRISocket: blank},
			min(pod.PausePID, pod.AppPID), pod.ResolvConfOnNode, "pod default/web: pid ", " via cgroup scan (cri: no ready sandbox of the pod)"},
		{"container the runtime does not know: cgroup scan", v1alpha1.NetnsRef{ContainerID: pod.AppID, CRISocket: blank},
			pod.AppPID, pod.ResolvConfOnNode, "pid ", " via cgroup scan (cri: the runtime does not know the container)"},
		{"runtime unreachable: cgroup scan", v1alpha1.NetnsRef{ContainerID: pod.PauseID, CRISocket: gone},
			pod.PausePID, "", "pid ", " via cgroup scan (cri: unreachable: CRI socket " + gone},
		{"PID", v1alpha1.NetnsRef{PID: pod.AppPID}, pod.AppPID, pod.ResolvConfOnNode, "pid ", ""},
		{"path: the processes in it are found", v1alpha1.NetnsRef{Path: pod.NamespacePathOnNode}, min(pod.PausePID, pod.AppPID),
			pod.ResolvConfOnNode, "pid ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := open(t, tc.ref)
			if tg.NS.ID() != want || tg.PID != tc.pid || tg.ResolvConf != tc.resolv {
				t.Errorf("target = %s pid %d resolv %q; want %s pid %d resolv %q", tg.NS.ID(), tg.PID, tg.ResolvConf, want, tc.pid, tc.resolv)
			}
			wantDesc := fmt.Sprintf("%s%d %s%s", tc.descPfx, tg.PID, want, tc.via)
			if tg.Desc != wantDesc && (!strings.HasSuffix(tc.via, gone) || !strings.HasPrefix(tg.Desc, wantDesc)) {
				t.Errorf("desc %q, want %q", tg.Desc, wantDesc)
			}
		})
	}
}

func TestOpenErrorsSayWhatToCheck(t *testing.T) {
	absent := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		ref  v1alpha1.NetnsRef
		want []string
	}{
		{v1alpha1.NetnsRef{ContainerID: "containerd://" + absent}, []string{"no process of container abababababab on this node", "is the pod on this node"}},
		{v1alpha1.NetnsRef{PodUID: "0f1e2d3c-4b5a-6978-8796-000000000000"}, []string{"no process of pod 0f1e2d3c-4b5a-6978-8796-000000000000 on this node"}},
		{v1alpha1.NetnsRef{PodUID: "web-1"}, []string{"pod UID \"web-1\" is neither a UUID"}},
		{v1alpha1.NetnsRef{PID: 1 << 30}, []string{"open the network namespace of process 1073741824"}},
		{v1alpha1.NetnsRef{Path: "/nonexistent/netns"}, []string{"/nonexistent/netns"}},
		{v1alpha1.NetnsRef{Label: "pod x/y"}, []string{"names nothing"}},
	} {
		_, err := Open(tc.ref)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Open(%+v) = %v; want an error containing %q", tc.ref, err, w)
			}
		}
	}
}

// The cgroup scan reads only ProcRoot: a fake procfs tree whose cgroup files
// use the systemd driver's names, and whose ns links lead to a real namespace,
// resolves like a node's.
func TestOpenThroughAFakeProcRoot(t *testing.T) {
	pod := podnetnstest.Start(t, podResolvConf)
	root := t.TempDir()
	slice := "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + strings.ReplaceAll(pod.UID, "-", "_") +
		".slice/cri-containerd-%s.scope\n"
	appRoot := filepath.Join(t.TempDir(), "approot")
	if err := os.MkdirAll(appRoot+"/etc", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(appRoot+"/etc/resolv.conf", []byte(podResolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		pid     int
		cgroup  string
		realPID int
		root    string
	}{
		{901, fmt.Sprintf(slice, pod.PauseID), pod.PausePID, t.TempDir()},
		{902, fmt.Sprintf(slice, pod.AppID), pod.AppPID, appRoot},
		{903, "0::/system.slice/containerd.service\n", os.Getpid(), "/"},
	} {
		dir := filepath.Join(root, strconv.Itoa(p.pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/cgroup", []byte(p.cgroup), 0o644); err != nil {
			t.Fatal(err)
		}
		for name, target := range map[string]string{"ns": fmt.Sprintf("/proc/%d/ns", p.realPID), "root": p.root} {
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tg := open(t, v1alpha1.NetnsRef{PodUID: pod.UID, ProcRoot: root})
	want, _ := netns.StatID(pod.NamespacePathOnNode)
	if tg.NS.ID() != want || tg.PID != 901 || tg.ResolvConf != root+"/902/root/etc/resolv.conf" {
		t.Errorf("target = %s pid %d resolv %q; want %s, pid 901, the app's resolv.conf", tg.NS.ID(), tg.PID, tg.ResolvConf, want)
	}
}
