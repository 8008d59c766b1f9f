package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

func TestProgressResolved(t *testing.T) {
	r := fx.Busy()
	notReady := fx.Web2
	notReady.Ready = false
	r.Targets[0].Endpoint[1] = notReady
	var out bytes.Buffer
	NewProgress(&out).Resolved(r)
	want := []string{
		"source   pod default/client on node k8slab-node1 (IPs 10.244.0.5), picked from deploy/client (ready pod client)",
		"         containers: app running, netcheck-probe-7xk2q running",
		"target   svc/web:http -> Service default/web 10.96.0.20:80/TCP, targetPort 8080, 4 pods selected, 4 endpoints",
		"         endpoint 10.244.1.5:8080 pod web-1 on node k8slab-node2 (ready)",
		"         endpoint 10.244.0.7:8080 pod web-2 on node k8slab-node1 (NOT READY)",
		"         endpoint 10.244.1.6:8080 pod web-3 on node k8slab-node2 (ready)",
		"         endpoint 10.244.0.8:8080 pod web-4 on node k8slab-node1 (ready)",
		"target   pod/api-0:9000 -> pod default/api-0 10.244.1.9:9000/TCP on node k8slab-node2",
		"target   dns/web.default.svc.cluster.local -> name web.default.svc.cluster.local",
		"mode     pod: ephemeral containers are enabled",
		"",
	}
	if got := out.String(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestProgressCapsEndpoints(t *testing.T) {
	var eps []v1alpha1.Endpoint
	for i := range 25 {
		eps = append(eps, fx.Endpoint(fmt.Sprintf("10.244.1.%d", i+10), fmt.Sprintf("web-%d", i), fx.Node2))
	}
	var out bytes.Buffer
	NewProgress(&out).Resolved(fx.NewReport([]v1alpha1.Target{fx.WebService(eps...)}))
	if n := strings.Count(out.String(), "endpoint 10.244.1."); n != maxEndpointLines {
		t.Errorf("%d endpoint lines, want %d", n, maxEndpointLines)
	}
	if !strings.Contains(out.String(), "... and 15 more endpoints") {
		t.Errorf("no overflow line:\n%s", out.String())
	}
}

func TestProgressEvents(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out)
	p.Resolved(fx.OneEndpointRefused())
	src, node := fx.SourceVant, "node "+fx.Node1

	hello := v1alpha1.NewEvent(v1alpha1.EventHello)
	hello.Hello = &v1alpha1.Hello{ProbeVersion: "v0.3.0", Hostname: "client", PID: 1, Checks: []string{"dns", "icmp", "netinfo", "tcp"}}
	started := v1alpha1.NewEvent(v1alpha1.EventStarted)
	started.CheckID, started.Message = "tcp-2", "tcp svc/web endpoint 10.244.1.5:8080 (pod web-1, node k8slab-node2)"
	progress := v1alpha1.NewEvent(v1alpha1.EventProgress)
	progress.CheckID, progress.Message = "tcp-2", "10/20 attempts"
	pass := fx.TCP("tcp-3", "svc/web endpoint 10.244.0.7:8080", "10.244.0.7:8080", fx.Outcomes{v1alpha1.TCPOK: 20})
	fail := fx.TCP("tcp-2", "svc/web endpoint 10.244.1.5:8080 (pod web-1, node k8slab-node2)", "10.244.1.5:8080",
		fx.Outcomes{v1alpha1.TCPRefused: 20})
	passEv, failEv := v1alpha1.NewEvent(v1alpha1.EventResult), v1alpha1.NewEvent(v1alpha1.EventResult)
	passEv.Result, failEv.Result = &pass, &fail
	errEv := v1alpha1.NewEvent(v1alpha1.EventError)
	errEv.Message = "decode probe request: unexpected EOF"
	done := v1alpha1.NewEvent(v1alpha1.EventDone)
	done.Message = "5 checks"

	out.Reset()
	p.Event(src, hello)
	p.Event(src, started)
	p.Event(src, progress)
	p.Event(node, passEv)
	p.Event(src, failEv)
	p.Event(node, errEv)
	p.Event(src, done)
	p.Infof("waiting for ephemeral container %s in pod %s", "netcheck-probe-7xk2q", "default/client")
	want := []string{
		"▸ agent ready in pod default/client: netcheck-probe v0.3.0 on client, checks dns,icmp,netinfo,tcp",
		"· tcp svc/web endpoint 10.244.1.5:8080 (pod web-1, node k8slab-node2) …",
		"· tcp svc/web endpoint 10.244.1.5:8080 (pod web-1, node k8slab-node2): 10/20 attempts",
		"▸ tcp svc/web endpoint 10.244.0.7:8080 … 20/20 connected, p50 0.4ms [node k8slab-node1]",
		"✗ tcp svc/web endpoint 10.244.1.5:8080 (pod web-1, node k8slab-node2) … FAIL 0/20 connected, 20 refused",
		"✗ probe in node k8slab-node1: decode probe request: unexpected EOF",
		"▸ pod default/client: done (5 checks)",
		"  waiting for ephemeral container netcheck-probe-7xk2q in pod default/client",
		"",
	}
	if got := out.String(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestProgressShortensLongTargetsNotOutcomes(t *testing.T) {
	var out bytes.Buffer
	res := fx.TCP("tcp-1", strings.Repeat("svc/a-very-long-service-name-", 6), "10.96.0.30:80", fx.Outcomes{v1alpha1.TCPOK: 20})
	ev := v1alpha1.NewEvent(v1alpha1.EventResult)
	ev.Result = &res
	p := NewProgress(&out)
	p.Resolved(fx.Healthy())
	out.Reset()
	p.Event(fx.SourceVant, ev)
	line := strings.TrimSuffix(out.String(), "\n")
	if n := utf8.RuneCountInString(line); n > lineWidth {
		t.Errorf("line has %d runes: %s", n, line)
	}
	if !strings.HasSuffix(line, "… 20/20 connected, p50 0.4ms") {
		t.Errorf("the outcome must survive shortening: %s", line)
	}
}

// TestProgressConcurrentUse has agents in several vantages report at once into
// a plain (unsynchronised) buffer: every line must come out whole, and under
// -race any unsynchronised write fails the test.
func TestProgressConcurrentUse(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(&out)
	p.Resolved(fx.Healthy())
	out.Reset()
	const agents, events = 6, 200
	var wg sync.WaitGroup
	for a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vantage := fmt.Sprintf("node n%d", a)
			for i := range events {
				id := fmt.Sprintf("c%d", i)
				st := v1alpha1.NewEvent(v1alpha1.EventStarted)
				st.CheckID, st.Message = id, fmt.Sprintf("tcp target-%d-%d", a, i)
				p.Event(vantage, st)
				res := fx.TCP(id, fmt.Sprintf("target-%d-%d", a, i), "10.244.1.5:8080", fx.Outcomes{v1alpha1.TCPOK: 1})
				ev := v1alpha1.NewEvent(v1alpha1.EventResult)
				ev.Result = &res
				p.Event(vantage, ev)
				p.Infof("agent %d step %d", a, i)
			}
		}()
	}
	wg.Wait()
	whole := regexp.MustCompile(`^(· tcp target-\d+-\d+ … \[node n\d\]|▸ tcp target-\d+-\d+ … 1/1 connected, p50 0\.4ms \[node n\d\]|  agent \d step \d+)$`)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != agents*events*3 {
		t.Fatalf("%d lines, want %d", len(lines), agents*events*3)
	}
	for _, l := range lines {
		if !whole.MatchString(l) {
			t.Fatalf("torn or unexpected line: %q", l)
		}
	}
	if len(p.labels) != 0 {
		t.Errorf("%d started labels never released", len(p.labels))
	}
}

func TestNilProgressIsQuiet(t *testing.T) {
	var p *Progress
	p.Resolved(fx.Healthy())
	p.Event("x", v1alpha1.NewEvent(v1alpha1.EventDone))
	p.Infof("nothing %d", 1)
}
