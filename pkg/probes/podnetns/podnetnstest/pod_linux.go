// Package podnetnstest builds, for tests, a pod the way a node runs one, out of
// real kernel objects: a network namespace; a pause process and an app
// process in it, each in a mount namespace of its own (the pause's /etc is
// empty, as in its scratch image; the app's /etc/resolv.conf is the pod's,
// bind-mounted the way the kubelet does); both in real cgroups named like the
// kubelet's cgroupfs driver names them (kubepods/besteffort/pod<uid>/<container
// id>). Production code never imports it.
package podnetnstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/cri/critest"
)

// Pod is a running fake pod.
type Pod struct {
	NS                  *netnstest.NS
	UID                 string
	PauseID, AppID      string // container IDs
	PausePID, AppPID    int
	ResolvConf          string // the content of the app's /etc/resolv.conf
	ResolvConfOnNode    string // where the probe reads it: /proc/<app pid>/root/etc/resolv.conf
	NamespacePathOnNode string // /run/netns/<name>
}

var seq int

// Start builds the pod with resolvConf as its resolver config; everything
// goes away when the test ends.
func Start(t testing.TB, resolvConf string) *Pod {
	t.Helper()
	netnstest.SkipUnlessRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) to give the fake containers their own mount namespaces")
	}
	seq++
	p := &Pod{
		NS:         netnstest.New(t),
		UID:        fmt.Sprintf("3f2a1b0c-9d8e-4f7a-8b6c-%012d", os.Getpid()*100+seq),
		PauseID:    fmt.Sprintf("%064x", time.Now().UnixNano()),
		AppID:      fmt.Sprintf("%064x", time.Now().UnixNano()+1),
		ResolvConf: resolvConf,
	}
	p.NamespacePathOnNode = "/run/netns/" + p.NS.Name
	rc := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(rc, []byte(resolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	// The pause image is scratch: no /etc/resolv.conf.
	p.PausePID = p.start(t, "mount -t tmpfs pause-etc /etc && exec sleep 3600")
	p.AppPID = p.start(t, "mount --bind "+rc+" /etc/resolv.conf && exec sleep 3600")
	p.ResolvConfOnNode = fmt.Sprintf("/proc/%d/root/etc/resolv.conf", p.AppPID)
	waitFor(t, func() bool {
		app, err := os.ReadFile(p.ResolvConfOnNode)
		_, pauseErr := os.Stat(fmt.Sprintf("/proc/%d/root/etc/resolv.conf", p.PausePID))
		return err == nil && string(app) == resolvConf && os.IsNotExist(pauseErr)
	})
	critest.PodCgroup(t, p.UID, p.PauseID, p.PausePID)
	critest.PodCgroup(t, p.UID, p.AppID, p.AppPID)
	return p
}

// start runs script in a new mount namespace inside the pod's network
// namespace: the fork happens on a thread switched into it.
func (p *Pod) start(t testing.TB, script string) int {
	t.Helper()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.NS.Do(cmd.Start); err != nil {
		t.Fatalf("start %q in %s: %v", script, p.NS.Name, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// unshare execs sh, which execs sleep: the PID stays the same.
	waitFor(t, func() bool {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		return err == nil && strings.TrimSpace(string(comm)) == "sleep"
	})
	return cmd.Process.Pid
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the fake pod did not come up within 10s")
		}
	}
}
