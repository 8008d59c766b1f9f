//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/internal/netnstest"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/builtin"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// probeBinary builds the real binary once per test run, the way the image does
// (static, CGO_ENABLED=0), into a temp dir removed by TestMain.
func probeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "netcheck-probe-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		binPath = filepath.Join(dir, "netcheck-probe")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build netcheck-probe: %v", buildErr)
	}
	return binPath
}

var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// decodeAll decodes every stdout line as a v1alpha1 event: a line that is not
// one fails the test, since the plugin would choke on it too.
func decodeAll(t *testing.T, out []byte) []v1alpha1.Event {
	t.Helper()
	var evs []v1alpha1.Event
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		ev, err := v1alpha1.DecodeEvent(sc.Bytes())
		if err != nil {
			t.Fatalf("stdout line is not an event: %v\n%s", err, sc.Text())
		}
		evs = append(evs, ev)
	}
	return evs
}

func requestJSON(t *testing.T, req v1alpha1.ProbeRequest) []byte {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunEveryCheckInNetns(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	bin := probeBinary(t)
	p := netnstest.NewPair(t)
	tcpAddr := p.Server.ListenTCP(t, p.ServerIP+":0")
	p.Server.ServeDNS(t, p.ServerIP+":53", netnstest.StaticZone{"web.default.svc.cluster.local.": {"10.96.1.5"}})
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "nameserver " + p.ServerIP + "\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
	if err := os.WriteFile(resolv, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}

	req := v1alpha1.NewProbeRequest(
		v1alpha1.CheckSpec{ID: "tcp-1", Check: v1alpha1.CheckTCP, TCP: &v1alpha1.TCPSpec{Address: tcpAddr, Count: 10}},
		v1alpha1.CheckSpec{ID: "icmp-1", Check: v1alpha1.CheckICMP, ICMP: &v1alpha1.ICMPSpec{Address: p.ServerIP, Count: 3, DiscoverMTU: true}},
		v1alpha1.CheckSpec{ID: "dns-1", Check: v1alpha1.CheckDNS, DNS: &v1alpha1.DNSSpec{Name: "web", ResolvConf: resolv}},
		v1alpha1.CheckSpec{ID: "netinfo-1", Check: v1alpha1.CheckNetInfo, NetInfo: &v1alpha1.NetInfoSpec{Listeners: true}},
	)
	cmd := exec.Command("ip", "netns", "exec", p.Client.Name, bin, "run", "--agent-socket", "@netcheck-e2e-none")
	cmd.Stdin = bytes.NewReader(requestJSON(t, req))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
	}
	evs := decodeAll(t, out)
	if len(evs) < 2 || evs[0].Type != v1alpha1.EventHello || evs[len(evs)-1].Type != v1alpha1.EventDone {
		t.Fatalf("want hello first and done last, got %d events: %s", len(evs), out)
	}
	if h := evs[0].Hello; h == nil || !slices.Equal(h.Checks, builtin.Registry().Names()) || h.PID == 0 {
		t.Errorf("hello %+v", evs[0].Hello)
	}
	results := map[string]*v1alpha1.CheckResult{}
	started := map[string]bool{}
	for _, ev := range evs {
		switch ev.Type {
		case v1alpha1.EventStarted:
			started[ev.CheckID] = true
		case v1alpha1.EventResult:
			if !started[ev.CheckID] {
				t.Errorf("result of %s before its started event", ev.CheckID)
			}
			results[ev.CheckID] = ev.Result
		}
	}
	for _, id := range []string{"tcp-1", "icmp-1", "dns-1", "netinfo-1"} {
		r := results[id]
		if r == nil {
			t.Errorf("no result for %s", id)
			continue
		}
		t.Logf("%s: %s: %s", id, r.Status, r.Summary)
		if r.Status != v1alpha1.StatusPass {
			t.Errorf("%s status %s: %s %s", id, r.Status, r.Summary, r.Error)
		}
	}
	// The run happened in the client netns: its evidence says so.
	if r := results["tcp-1"]; r != nil && r.TCP != nil && !strings.HasPrefix(r.TCP.Attempts[0].LocalAddr, p.ClientIP+":") {
		t.Errorf("tcp local addr %s, want from %s", r.TCP.Attempts[0].LocalAddr, p.ClientIP)
	}
	if r := results["dns-1"]; r != nil && r.DNS != nil && r.DNS.Resolved != "web.default.svc.cluster.local." {
		t.Errorf("dns resolved %q", r.DNS.Resolved)
	}
	if r := results["icmp-1"]; r != nil && r.ICMP != nil && (r.ICMP.MTU == nil || r.ICMP.MTU.Outcome != v1alpha1.MTUFits) {
		t.Errorf("icmp mtu %+v", r.ICMP.MTU)
	}
	if !strings.Contains(stderr.String(), "running standalone") {
		t.Errorf("stderr should say no agent was found: %s", stderr.String())
	}
}

func TestVersionMismatchIsOneErrorLine(t *testing.T) {
	bin := probeBinary(t)
	req := v1alpha1.NewProbeRequest()
	req.APIVersion = "netcheck.kubectl.io/v0"
	for _, how := range []string{"stdin", "b64"} {
		t.Run(how, func(t *testing.T) {
			data := requestJSON(t, req)
			args := []string{"run", "--agent-socket", "@netcheck-e2e-none"}
			cmd := exec.Command(bin, args...)
			if how == "b64" {
				cmd = exec.Command(bin, append(args, "--request-b64", b64(data))...)
			} else {
				cmd.Stdin = bytes.NewReader(data)
			}
			out, err := cmd.Output()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Fatalf("want exit 3, got %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 {
				t.Fatalf("want exactly one line, got %q", out)
			}
			ev, err := v1alpha1.DecodeEvent([]byte(lines[0]))
			if err != nil || ev.Type != v1alpha1.EventError || !strings.Contains(ev.Message, "netcheck.kubectl.io/v0") {
				t.Errorf("event %+v err %v", ev, err)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(probeBinary(t), "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "netcheck-probe dev (schema "+v1alpha1.APIVersion+")") {
		t.Errorf("version: %q %v", out, err)
	}
}

// The agent stays up while a run holds its heartbeat, then exits by itself after
// the idle timeout: an ephemeral container cannot be deleted, so it must not leak.
func TestAgentLivesWhileRunsAndExitsWhenIdle(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	bin := probeBinary(t)
	p := netnstest.NewPair(t)
	p.Server.IPTables(t, "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "DROP")

	agent := exec.Command("ip", "netns", "exec", p.Client.Name, bin, "agent", "--idle-timeout", "1s")
	var agentErr syncBuffer
	agent.Stderr = &agentErr
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	agentDone := make(chan error, 1)
	go func() { agentDone <- agent.Wait() }()
	t.Cleanup(func() { _ = agent.Process.Kill() })
	waitFor(t, func() bool { return strings.Contains(agentErr.String(), "listening on @netcheck-agent") })

	// A run that lasts about 2.4s (3 dropped connects of 800ms one at a time),
	// longer than the agent's idle timeout.
	req := v1alpha1.NewProbeRequest(v1alpha1.CheckSpec{ID: "slow", Check: v1alpha1.CheckTCP,
		TCP: &v1alpha1.TCPSpec{Address: p.ServerIP + ":9", Count: 3, Concurrency: 1, ConnectTimeoutMillis: 800}})
	run := exec.Command("ip", "netns", "exec", p.Client.Name, bin, "run", "--request-b64", b64(requestJSON(t, req)))
	var runErr bytes.Buffer
	run.Stderr = &runErr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, runErr.String())
	}
	if !strings.Contains(runErr.String(), "agent says ok agent pid") {
		t.Errorf("run did not attach to the agent: %s", runErr.String())
	}
	select {
	case err := <-agentDone:
		t.Fatalf("agent exited during a run (%v): %s", err, agentErr.String())
	default:
	}
	evs := decodeAll(t, out)
	if last := evs[len(evs)-1]; last.Type != v1alpha1.EventDone {
		t.Errorf("last event %s", last.Type)
	}

	select {
	case err := <-agentDone:
		if err != nil {
			t.Errorf("agent exit: %v\n%s", err, agentErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("agent still running 10s after the last run with --idle-timeout 1s: %s", agentErr.String())
	}
	if !strings.Contains(agentErr.String(), "after 1 runs; exiting") {
		t.Errorf("agent log: %s", agentErr.String())
	}
}

// SIGTERM cancels a run, which still ends its stream with done.
func TestSignalCancelsRunButDoneStillComes(t *testing.T) {
	netnstest.SkipUnlessRoot(t)
	bin := probeBinary(t)
	p := netnstest.NewPair(t)
	p.Server.IPTables(t, "-A", "INPUT", "-p", "tcp", "--dport", "9", "-j", "DROP")
	req := v1alpha1.NewProbeRequest(v1alpha1.CheckSpec{ID: "stuck", Check: v1alpha1.CheckTCP,
		TCP: &v1alpha1.TCPSpec{Address: p.ServerIP + ":9", Count: 100, Concurrency: 1, ConnectTimeoutMillis: 1000}})
	// Run the binary itself inside the netns: `ip netns exec` would not forward the signal.
	cmd := exec.Command(bin, "run", "--agent-socket", "@netcheck-e2e-none")
	cmd.Stdin = bytes.NewReader(requestJSON(t, req))
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := p.Client.Do(cmd.Start); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(stdout.String(), `"type":"started"`) })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("want exit 130 after SIGTERM, got %v", err)
	}
	evs := decodeAll(t, []byte(stdout.String()))
	if last := evs[len(evs)-1]; last.Type != v1alpha1.EventDone {
		t.Fatalf("last event %s, want done", last.Type)
	}
	for _, ev := range evs {
		if ev.Type == v1alpha1.EventResult && len(ev.Result.TCP.Attempts) >= 100 {
			t.Errorf("the run was not cut short: %d attempts", len(ev.Result.TCP.Attempts))
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a polling reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
