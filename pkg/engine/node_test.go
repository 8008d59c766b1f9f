package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
)

// nodeCluster is cluster() with what node mode reads: nodes, pod UIDs and
// container IDs.
func nodeCluster(objs ...runtime.Object) []runtime.Object {
	base := append(cluster(objs...),
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node1"}, Spec: corev1.NodeSpec{PodCIDR: "10.244.0.0/24"},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.200.0.1"}}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node2"}, Spec: corev1.NodeSpec{PodCIDR: "10.244.1.0/24"},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.201.0.2"}}}})
	for _, o := range base {
		if p, ok := o.(*corev1.Pod); ok {
			p.UID = types.UID("uid-" + p.Name)
			for i := range p.Status.ContainerStatuses {
				p.Status.ContainerStatuses[i].ContainerID = "containerd://" + p.Name
			}
		}
	}
	return base
}

// nodeKubelet runs every node pod netcheck creates, as the kubelet would.
func nodeKubelet(ctx context.Context, client *fake.Clientset) {
	go func() {
		for ctx.Err() == nil {
			list, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: launch.ManagedByLabel})
			if err == nil {
				for i := range list.Items {
					p := &list.Items[i]
					if p.Status.Phase != corev1.PodRunning {
						p.Status.Phase = corev1.PodRunning
						p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: launch.NodeAgentContainer,
							State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
						_, _ = client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// nodeProbe plays netcheck-probe in node pods (and in ephemeral agents): it
// answers each check from the node it runs on, with the evidence a lab node
// would give, and records every exec in order.
type nodeProbe struct {
	mu    sync.Mutex
	execs []nodeExecRecord
	// block, when set, holds the exec of the sender (the one with traces and
	// Netns) until ctx ends: a run interrupted during its checks.
	block bool
	// older, when set, is a probe that predates ProbeRequest.StopOnStdin: it
	// never reads stdin, which the kubelet's pipe takes in all the same
	// (stdinDrained counts those copies, done once the plugin ends stdin).
	older        bool
	stdinDrained sync.WaitGroup
	// senderDelay, when set, is how long each sender trace takes.
	senderDelay time.Duration
	// sendersDone is when the last sender trace result was written;
	// stopHeard when each far halves' exec read the stop line on stdin.
	sendersDone time.Time
	stopHeard   []time.Time
}

// isCaptureOnly says spec is a far half.
func isCaptureOnly(spec v1alpha1.CheckSpec) bool {
	return spec.Trace != nil && spec.Trace.CaptureOnlyMillis > 0
}

// waitForStop plays a far halves' probe asked to stop on stdin: it captures
// until the stop line (true), the end of stdin, its window, or ctx's end.
// Without the ask, or without stdin (an older plugin), it is its window, which
// the fake skips.
func (p *nodeProbe) waitForStop(ctx context.Context, stdin io.Reader, req v1alpha1.ProbeRequest) bool {
	if p.older {
		if stdin != nil {
			p.stdinDrained.Go(func() { _, _ = io.Copy(io.Discard, stdin) })
		}
		// Its window, outlasting the fake's senders (the real one is 5 s).
		time.Sleep(300 * time.Millisecond)
		return false
	}
	if !req.StopOnStdin || stdin == nil {
		return false
	}
	heard := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			if sc.Text() == v1alpha1.StopLine {
				heard <- true
				return
			}
		}
		heard <- false
	}()
	window := time.Duration(req.Checks[0].Trace.CaptureOnlyMillis) * time.Millisecond
	select {
	case stop := <-heard:
		if stop {
			p.mu.Lock()
			p.stopHeard = append(p.stopHeard, time.Now())
			p.mu.Unlock()
		}
		return stop
	case <-time.After(window):
	case <-ctx.Done():
	}
	return false
}

type nodeExecRecord struct {
	Pod string
	Req v1alpha1.ProbeRequest
	// Stdin says the exec streamed a stdin to the probe.
	Stdin bool
}

// nodeOf is the node a node pod runs on, from its name netcheck-<node>-<suffix>.
func nodeOf(pod string) string {
	if n, ok := strings.CutPrefix(pod, "netcheck-"); ok && strings.Count(n, "-") >= 1 {
		return n[:strings.LastIndex(n, "-")]
	}
	return ""
}

func (p *nodeProbe) Exec(ctx context.Context, req kube.ExecRequest, stdout, _ io.Writer) error {
	body, err := base64.StdEncoding.DecodeString(req.Command[3])
	if err != nil {
		return err
	}
	probeReq, err := v1alpha1.DecodeProbeRequest(body)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.execs = append(p.execs, nodeExecRecord{Pod: req.Pod, Req: probeReq, Stdin: req.Stdin != nil})
	p.mu.Unlock()
	emit := func(ev v1alpha1.Event) {
		b, _ := json.Marshal(ev)
		_, _ = stdout.Write(append(b, '\n'))
	}
	hello := v1alpha1.NewEvent(v1alpha1.EventHello)
	hello.Hello = &v1alpha1.Hello{ProbeVersion: "dev"}
	emit(hello)
	if p.block && probeReq.Netns != nil {
		<-ctx.Done()
		return ctx.Err()
	}
	node := nodeOf(req.Pod)
	farHalves := slices.ContainsFunc(probeReq.Checks, isCaptureOnly)
	stoppedOnRequest := false
	if farHalves {
		for _, spec := range probeReq.Checks {
			prog := v1alpha1.NewEvent(v1alpha1.EventProgress)
			prog.CheckID, prog.Message = spec.ID, "capturing"
			emit(prog)
		}
		stoppedOnRequest = p.waitForStop(ctx, req.Stdin, probeReq)
	}
	for _, spec := range probeReq.Checks {
		started := time.Now().UTC()
		if isCaptureOnly(spec) {
			// The capture lasts until the sender is done: long enough.
			started = started.Add(-time.Second)
		} else if spec.Check == v1alpha1.CheckTrace {
			time.Sleep(p.senderDelay)
		}
		res := answer(node, spec)
		res.ID, res.Check, res.Target, res.Started = spec.ID, spec.Check, spec.Target, started
		if isCaptureOnly(spec) {
			res.DurationMillis = 60_000
			res.Trace.StoppedOnRequest = stoppedOnRequest
		}
		if spec.Check == v1alpha1.CheckTrace && !isCaptureOnly(spec) {
			p.mu.Lock()
			p.sendersDone = time.Now() // before the plugin can read the result
			p.mu.Unlock()
		}
		ev := v1alpha1.NewEvent(v1alpha1.EventResult)
		ev.CheckID, ev.Result = spec.ID, &res
		emit(ev)
	}
	emit(v1alpha1.NewEvent(v1alpha1.EventDone))
	return nil
}

func (p *nodeProbe) records() []nodeExecRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.execs)
}

// answer is a lab node's answer to spec: node1 holds client and web-1,
// node2 web-2; every check passes.
func answer(node string, spec v1alpha1.CheckSpec) v1alpha1.CheckResult {
	res := v1alpha1.CheckResult{Status: v1alpha1.StatusPass, Summary: "ok"}
	switch spec.Check {
	case v1alpha1.CheckTCP:
		res.TCP = &v1alpha1.TCPResult{Address: spec.TCP.Address, Counts: map[v1alpha1.TCPOutcome]int{v1alpha1.TCPOK: spec.TCP.Count}}
	case v1alpha1.CheckNodeInfo:
		res.NodeInfo = &v1alpha1.NodeInfoResult{Phase: spec.NodeInfo.Phase, Links: []v1alpha1.NodeLink{
			{Name: "eth0", Kind: "device", MTU: 1500},
			{Name: "flannel.1", Kind: "vxlan", MTU: 1450, VXLAN: &v1alpha1.NodeVXLAN{VNI: 1, Underlay: "eth0"}},
			{Name: "cni0", Kind: "bridge", MTU: 1450},
		}}
	case v1alpha1.CheckNSScan:
		pods := map[string][][3]string{
			"node1": {{"uid-client", "10.244.0.10", "vethc"}, {"uid-web-1", "10.244.0.11", "veth1"}},
			"node2": {{"uid-web-2", "10.244.1.12", "veth2"}},
		}
		res.NSScan = &v1alpha1.NSScanResult{}
		for i, p := range pods[node] {
			res.NSScan.Namespaces = append(res.NSScan.Namespaces, v1alpha1.NetNamespace{
				Inode: uint64(100 + i), Processes: []v1alpha1.NSProcess{{PID: 1000 + i}}, BridgePorts: []string{p[2]},
				Interfaces: []v1alpha1.Interface{{Name: "eth0", Addrs: []string{p[1] + "/24"}}},
				Sandbox:    &v1alpha1.SandboxRef{UID: p[0]},
			})
		}
	case v1alpha1.CheckTrace:
		tr := &v1alpha1.TraceResult{Destination: spec.Trace.Destination, Port: spec.Trace.Port, Proto: spec.Trace.Proto}
		if spec.Trace.CaptureOnlyMillis == 0 {
			tr.Source = "10.244.0.10"
			for i := range spec.Trace.Count {
				p := v1alpha1.TraceProbe{SrcPort: spec.Trace.SourcePort + i, Outcome: "ok"}
				if spec.Trace.Proto == v1alpha1.TraceICMP {
					p = v1alpha1.TraceProbe{ICMPID: spec.Trace.ICMPID, ICMPSeq: i + 1, Outcome: "reply"}
				}
				tr.Probes = append(tr.Probes, p)
			}
		}
		c := &capture.Result{}
		for _, h := range spec.Trace.Hops {
			label := h.Node + "/" + h.Name
			tr.Hops = append(tr.Hops, v1alpha1.TraceHopInfo{TraceHop: h, Label: label, LinkType: "ethernet"})
			c.Interfaces = append(c.Interfaces, capture.InterfaceResult{Interface: capture.Interface{Label: label, Ifname: h.Ifname}})
		}
		var buf bytes.Buffer
		if err := c.WritePcapNG(&buf, 262144); err != nil {
			panic(err)
		}
		tr.PcapNG = buf.Bytes()
		res.Trace = tr
	}
	return res
}

func TestRunNodeMode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	nodeKubelet(ctx, client)
	probe := &nodeProbe{}
	progress := &recorder{}
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode, cfg.NodeNamespace, cfg.CaptureOut = ModeNode, "ops", t.TempDir()
	rep, err := Run(ctx, Deps{Client: client, Executor: probe, Progress: progress, NameSuffix: func() string { return "aaaaa" }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModeNode || rep.ModeReason != "--mode node" {
		t.Errorf("mode %q (%s)", rep.Mode, rep.ModeReason)
	}

	// No ephemeral agent; the node pods are gone again.
	src, _ := client.CoreV1().Pods("default").Get(ctx, "client", metav1.GetOptions{})
	if n := len(src.Spec.EphemeralContainers); n != 0 {
		t.Errorf("node mode added %d ephemeral containers", n)
	}
	if left, _ := client.CoreV1().Pods("ops").List(ctx, metav1.ListOptions{}); len(left.Items) != 0 {
		t.Errorf("node pods left: %d", len(left.Items))
	}

	// The execs, in order: the snapshots (both nodes), the far capture on
	// node2 before the sender on node1, then the after snapshots.
	var steps []string
	for _, e := range probe.records() {
		var checks []string
		for _, c := range e.Req.Checks {
			checks = append(checks, c.ID)
		}
		steps = append(steps, nodeOf(e.Pod)+": "+strings.Join(checks, ","))
	}
	want := []string{
		"node1: nodeinfo:node1:before,nsscan:node1",
		"node2: nodeinfo:node2:before,nsscan:node2",
		"node2: trace:10.244.1.12:8080@node2,trace:icmp:10.244.1.12@node2",
		"node1: tcp:10.244.1.12:8080,icmp:10.244.1.12,netinfo:default/client,trace:10.244.1.12:8080,trace:icmp:10.244.1.12",
		"node1: nodeinfo:node1:after",
		"node2: nodeinfo:node2:after",
	}
	sortPairs := func(s []string) { slices.Sort(s[0:2]); slices.Sort(s[4:6]) }
	if len(steps) == len(want) {
		sortPairs(steps)
	}
	if !slices.Equal(steps, want) {
		t.Errorf("execs\n got %q\nwant %q", steps, want)
	}
	sender := probe.records()[3].Req
	if sender.Netns == nil || *sender.Netns != (v1alpha1.NetnsRef{ContainerID: "containerd://client", PodUID: "uid-client", Label: "pod default/client"}) {
		t.Errorf("sender netns = %+v", sender.Netns)
	}
	for _, e := range probe.records() {
		if e.Req.Checks[0].ID != "nodeinfo:node1:before" {
			continue
		}
		// The node's own pods (ours too, when listed after it was created) and
		// its share of the pod network.
		scan := e.Req.Checks[1].NSScan
		if scan.PodCIDR != "10.244.0.0/24" || len(scan.Pods) < 2 || scan.Pods[0].UID != "uid-client" || scan.Pods[1].Name != "web-1" ||
			len(scan.TargetIPs) != 0 {
			t.Errorf("node1 scan spec = %+v", scan)
		}
	}

	// Results: the pod view under the pod's vantage, the rest under the nodes'.
	for _, r := range rep.Results {
		wantVantage := "node node1"
		switch {
		case r.Check == v1alpha1.CheckTCP || r.Check == v1alpha1.CheckICMP || r.Check == v1alpha1.CheckNetInfo:
			wantVantage = "pod default/client"
		case strings.HasSuffix(r.ID, "node2:before") || strings.HasSuffix(r.ID, "node2:after") || r.ID == "nsscan:node2":
			wantVantage = "node node2"
		}
		if r.Vantage != wantVantage {
			t.Errorf("%s from %q, want %q", r.ID, r.Vantage, wantVantage)
		}
	}
	// The TCP and the ICMP trace, each merged over both nodes' hops.
	for _, id := range []string{"trace:10.244.1.12:8080", "trace:icmp:10.244.1.12"} {
		tr := findResult(t, rep, id).Trace
		var labels []string
		for _, h := range tr.Hops {
			labels = append(labels, h.Label)
		}
		if got, want := strings.Join(labels, " "), "node1/pod client node1/vethc node1/cni0 node1/flannel.1 node1/eth0 node2/eth0 node2/flannel.1 node2/cni0 node2/veth2 node2/pod web-2"; got != want {
			t.Errorf("%s: merged trace hops\n got %s\nwant %s", id, got, want)
		}
		if tr.PcapNG != nil {
			t.Errorf("%s: the report keeps the pcapng", id)
		}
	}
	// Both halves of the ICMP trace carry the same echo id.
	far, send := probe.records()[2].Req.Checks[1].Trace, probe.records()[3].Req.Checks[4].Trace
	if far.Proto != v1alpha1.TraceICMP || far.ICMPID == 0 || far.ICMPID != send.ICMPID {
		t.Errorf("ICMP trace halves: far %s id %d, sender %s id %d", far.Proto, far.ICMPID, send.Proto, send.ICMPID)
	}
	for _, node := range []string{"node1", "node2"} {
		if _, err := os.Stat(filepath.Join(cfg.CaptureOut, node+".pcapng")); err != nil {
			t.Errorf("--capture-out: %v", err)
		}
	}
	lines := progress.String()
	for _, w := range []string{"creating node pod ops/netcheck-node1-aaaaa", "deleted node pod ops/netcheck-node2-aaaaa", "capturing on node node2"} {
		if !strings.Contains(lines, w) {
			t.Errorf("progress lacks %q:\n%s", w, lines)
		}
	}
}

func findResult(t *testing.T, rep *v1alpha1.Report, id string) v1alpha1.CheckResult {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result %s", id)
	return v1alpha1.CheckResult{}
}

func TestRunAutoMode(t *testing.T) {
	psa := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "client",
		errors.New(`violates PodSecurity "restricted:latest": runAsUser=0 (container "netcheck-dev-aaaaa" must not set runAsUser=0)`))
	for _, tc := range []struct {
		name   string
		source *corev1.Pod
		deep   bool
		// patchErr rejects the ephemeral agent.
		patchErr   error
		wantMode   string
		wantReason []string
	}{
		{name: "policy rejects the agent", source: pod("default", "client", "node1", "10.244.0.10", nil), patchErr: psa,
			wantMode: ModeNode, wantReason: []string{"Pod Security admission of namespace default rejected the root agent", "restricted:latest"}},
		{name: "no ephemeral containers", source: pod("default", "client", "node1", "10.244.0.10", nil),
			patchErr: apierrors.NewGenericServerResponse(404, "patch", schema.GroupResource{Resource: "pods"}, "", "not found", 0, false),
			wantMode: ModeNode, wantReason: []string{"ephemeral containers are unavailable"}},
		{name: "static pod", source: func() *corev1.Pod {
			p := pod("default", "client", "node1", "10.244.0.10", nil)
			p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
			return p
		}(), wantMode: ModeNode, wantReason: []string{"static pod"}},
		{name: "deep adds the node view", source: pod("default", "client", "node1", "10.244.0.10", nil), deep: true,
			wantMode: ModePodNode, wantReason: []string{"ephemeral agent netcheck-dev-aaaaa", "node view added: --deep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			client := fake.NewClientset(nodeCluster(tc.source)...)
			if tc.patchErr != nil {
				client.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
					return a.GetSubresource() == "ephemeralcontainers", nil, tc.patchErr
				})
			}
			kubelet(ctx, client)
			nodeKubelet(ctx, client)
			probe := &nodeProbe{}
			cfg := config(t, "client", "pod/web-2:8080")
			cfg.Deep = tc.deep
			rep, err := Run(ctx, Deps{Client: client, Executor: probe, NameSuffix: func() string { return "aaaaa" }}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Mode != tc.wantMode {
				t.Errorf("mode %q (%s), want %q", rep.Mode, rep.ModeReason, tc.wantMode)
			}
			for _, w := range tc.wantReason {
				if !strings.Contains(rep.ModeReason, w) {
					t.Errorf("mode reason %q lacks %q", rep.ModeReason, w)
				}
			}
			// The pod view runs once: from the pod's netns in node mode, from
			// the ephemeral agent in pod+node (the node view adds no pod checks).
			tcp := 0
			for _, e := range probe.records() {
				for _, c := range e.Req.Checks {
					if c.Check == v1alpha1.CheckTCP {
						tcp++
						if fromNode := nodeOf(e.Pod) != ""; fromNode != (tc.wantMode == ModeNode) || fromNode && e.Req.Netns == nil {
							t.Errorf("tcp ran in %s (netns %+v)", e.Pod, e.Req.Netns)
						}
					}
				}
			}
			if tcp != 1 {
				t.Errorf("%d tcp checks ran, want 1", tcp)
			}
		})
	}
}

func TestRunAutoKeepsThePodViewWhenTheNodeViewCannotStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"))...)
	client.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "",
			errors.New(`User "dev" cannot create resource "pods" in API group "" in the namespace "default"`))
	})
	cfg := config(t, "client", "svc/web")
	cfg.Deep = true
	rep, err := Run(ctx, Deps{Client: client, Executor: &nodeProbe{}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != ModePod || !strings.Contains(rep.ModeReason, "node view not added (--deep): permission denied: dev may not create pods") {
		t.Errorf("mode %q (%s)", rep.Mode, rep.ModeReason)
	}
	if len(resultsWith(rep, v1alpha1.CheckTCP)) != 3 {
		t.Errorf("the pod view's results are gone: %+v", rep.Results)
	}
}

func resultsWith(rep *v1alpha1.Report, check string) []v1alpha1.CheckResult {
	var out []v1alpha1.CheckResult
	for _, r := range rep.Results {
		if r.Check == check {
			out = append(out, r)
		}
	}
	return out
}

func TestRunNodeSource(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster()...)
	nodeKubelet(ctx, client)
	probe := &nodeProbe{}
	rep, err := Run(ctx, Deps{Client: client, Executor: probe, NameSuffix: func() string { return "aaaaa" }},
		config(t, "node/node2"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rep.Results {
		ids = append(ids, r.ID+"@"+r.Vantage)
	}
	if got, want := strings.Join(ids, " "), "nodeinfo:node2:before@node node2 nsscan:node2@node node2 nodeinfo:node2:after@node node2"; got != want {
		t.Errorf("results\n got %s\nwant %s", got, want)
	}
	if rep.Source.Node != "node2" || rep.Source.Pod != "" || rep.Mode != ModeNode || rep.Verdict.Status != v1alpha1.VerdictOK {
		t.Errorf("report: source %+v mode %q verdict %+v", rep.Source, rep.Mode, rep.Verdict)
	}
	if scan := probe.records()[0].Req.Checks[1].NSScan; len(scan.Pods) != 1 || scan.Pods[0].Name != "web-2" || len(scan.TargetIPs) != 0 {
		t.Errorf("scan of node2 = %+v", scan)
	}
	if _, err := Run(ctx, Deps{Client: client, Executor: probe}, config(t, "node/node9")); err == nil || !strings.Contains(err.Error(), "node9") {
		t.Errorf("missing node: %v", err)
	}
}

func TestRunNodeModeInterruptedDeletesNodePods(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	nodeKubelet(ctx, client)
	probe := &nodeProbe{block: true}
	progress := &recorder{}
	go func() {
		// Ctrl-C once the source node's checks are in flight.
		for !strings.Contains(progress.String(), "running ") {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode = ModeNode
	_, err := Run(ctx, Deps{Client: client, Executor: probe, Progress: progress}, cfg)
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "node pods were deleted") {
		t.Errorf("error = %v", err)
	}
	left, _ := client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: launch.ManagedByLabel})
	if len(left.Items) != 0 {
		t.Errorf("%d node pods left after Ctrl-C", len(left.Items))
	}
	if n := strings.Count(progress.String(), "deleted node pod"); n != 2 {
		t.Errorf("%d deletes reported, want 2:\n%s", n, progress.String())
	}
}

func TestConfigValidateModes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     func(Config) Config
		wantErr string
	}{
		{"bad mode", func(c Config) Config { c.Mode = "host"; return c }, `--mode "host"`},
		{"deep with pod", func(c Config) Config { c.Mode, c.Deep = ModePod, true; return c }, "--deep adds the node view"},
		{"node source in pod mode", func(c Config) Config {
			c.Source, c.Targets, c.Mode = targetSource("node/n1"), nil, ModePod
			return c
		}, "--mode pod cannot"},
		{"node source with targets", func(c Config) Config { c.Source = targetSource("node/n1"); return c }, "--to needs a source pod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg(config(t, "client", "svc/web")).Validate()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
	node := config(t, "node/n1")
	if err := node.Validate(); err != nil {
		t.Errorf("node/NAME without --to: %v", err)
	}
}

func targetSource(raw string) target.Source {
	s, err := target.ParseSource(raw)
	if err != nil {
		panic(err)
	}
	return s
}

func TestRunFallbackThatFailsTooSaysBoth(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	client.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "client",
			errors.New(`violates PodSecurity "restricted:latest": unrestricted capabilities (container "netcheck-dev-aaaaa" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)`))
	})
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "netcheck-node1-aaaaa",
			errors.New(`violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true, hostPID=true)`))
	})
	_, err := Run(ctx, Deps{Client: client, Executor: &nodeProbe{}, NameSuffix: func() string { return "aaaaa" }},
		config(t, "client", "pod/web-2:8080"))
	for _, w := range []string{"rejected the agent", "NET_RAW", "the fallback to node mode failed too", "rejected the node pod",
		"--node-namespace", "pod-security.kubernetes.io/enforce=privileged"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

// The far halves capture until the senders are done, not for their whole
// window: their exec asks the probe to stop on stdin, and the stop line comes
// only once every sender's result is in. The merged traces keep the far side.
func TestFarHalvesStopOnceTheSendersAreDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	nodeKubelet(ctx, client)
	// Slow senders: a stop sent when they start would be heard before they end.
	probe := &nodeProbe{senderDelay: 100 * time.Millisecond}
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode, cfg.NodeNamespace = ModeNode, "ops"
	rep, err := Run(ctx, Deps{Client: client, Executor: probe, NameSuffix: func() string { return "aaaaa" }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range probe.records() {
		far := slices.ContainsFunc(e.Req.Checks, isCaptureOnly)
		if e.Req.StopOnStdin != far || e.Stdin != far {
			t.Errorf("exec on %s (far halves: %t): stopOnStdin %t, stdin %t; only far halves get them",
				nodeOf(e.Pod), far, e.Req.StopOnStdin, e.Stdin)
		}
	}
	probe.mu.Lock()
	heard, sendersDone := slices.Clone(probe.stopHeard), probe.sendersDone
	probe.mu.Unlock()
	if len(heard) != 1 {
		t.Fatalf("the far halves' exec heard the stop line %d times, want once", len(heard))
	}
	if heard[0].Before(sendersDone) {
		t.Errorf("the far halves were told to stop %s before the last sender's result", sendersDone.Sub(heard[0]))
	}
	for _, id := range []string{"trace:10.244.1.12:8080", "trace:icmp:10.244.1.12"} {
		res := findResult(t, rep, id)
		if len(res.Trace.Hops) != 10 || strings.Contains(res.Summary, "far side not captured") {
			t.Errorf("%s: %d hops, summary %q; want both nodes merged", id, len(res.Trace.Hops), res.Summary)
		}
	}
}

// A probe older than the stop on stdin ignores the field and captures its
// whole window: the traces merge as before, and the plugin still ends the
// far execs' stdin once they are over (no goroutine left reading it).
func TestFarHalvesOfAnOlderProbe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	nodeKubelet(ctx, client)
	probe := &nodeProbe{older: true}
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode, cfg.NodeNamespace = ModeNode, "ops"
	rep, err := Run(ctx, Deps{Client: client, Executor: probe, NameSuffix: func() string { return "aaaaa" }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"trace:10.244.1.12:8080", "trace:icmp:10.244.1.12"} {
		res := findResult(t, rep, id)
		if len(res.Trace.Hops) != 10 || strings.Contains(res.Summary, "far side not captured") {
			t.Errorf("%s: %d hops, summary %q; want both nodes merged", id, len(res.Trace.Hops), res.Summary)
		}
	}
	drained := make(chan struct{})
	go func() { probe.stdinDrained.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("the far execs' stdin never ended: client-go's copy of it would leak")
	}
}

func TestMergeTraceNamesAFarSideThatMissedTheProbes(t *testing.T) {
	hops := func(node string) []v1alpha1.TraceHop {
		return []v1alpha1.TraceHop{{Node: node, Name: "cni0", Ifname: "cni0"}, {Node: node, Name: "flannel.1", Ifname: "flannel.1"}}
	}
	spec := func(node string, captureOnly bool) v1alpha1.CheckSpec {
		s := v1alpha1.CheckSpec{ID: "trace:10.244.1.12:8080", Check: "trace", Trace: &v1alpha1.TraceSpec{
			Destination: "10.244.1.12", Port: 8080, Count: 1, SourcePort: 61000, Hops: hops(node)}}
		if captureOnly {
			s.ID, s.Trace.CaptureOnlyMillis = s.ID+"@"+node, 5000
		}
		return s
	}
	now := time.Now()
	sender := answer("node1", spec("node1", false))
	sender.ID, sender.Started, sender.DurationMillis = "trace:10.244.1.12:8080", now, 1500
	sender.Status, sender.Summary = v1alpha1.StatusFail, "0/1 answered; request last seen at node1/flannel.1, nothing came back"
	far := answer("node2", spec("node2", true))
	far.ID = "trace:10.244.1.12:8080@node2"
	plan := planWithFar()

	for _, tc := range []struct {
		name       string
		farEnd     time.Duration // after the sender's start
		wantStatus v1alpha1.Status
		wantHops   int
		// stoppedOnRequest: the far half says the plugin's stop ended it.
		stoppedOnRequest bool
		wantNote         string
	}{
		{"far side captured throughout", 5 * time.Second, v1alpha1.StatusFail, 4, false, ""},
		{"far side stopped early", time.Second, v1alpha1.StatusError, 2, false, "its capture stopped 500ms before the probes were done"},
		// Told to stop only after the sender's result arrived, it covered the
		// probes: an end before the sender's by the clocks is their skew.
		{"far side stopped on request, its clock behind", time.Second, v1alpha1.StatusFail, 4, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := far
			f.Started, f.DurationMillis = now.Add(tc.farEnd-5*time.Second), 5000
			ftr := *f.Trace
			ftr.StoppedOnRequest = tc.stoppedOnRequest
			f.Trace = &ftr
			r := &run{report: &v1alpha1.Report{Source: v1alpha1.Source{Node: "node1"}}}
			halves := &farHalves{results: map[string]v1alpha1.CheckResult{f.ID: f}, errs: map[string]error{}}
			s := sender
			tr := *s.Trace
			s.Trace = &tr
			got := r.mergeTrace(s, plan, halves)
			if got.Status != tc.wantStatus || len(got.Trace.Hops) != tc.wantHops || !strings.Contains(got.Summary, tc.wantNote) {
				t.Errorf("status %s, %d hops, summary %q; want %s, %d hops, %q", got.Status, len(got.Trace.Hops), got.Summary,
					tc.wantStatus, tc.wantHops, tc.wantNote)
			}
			if got.Trace.PcapNG != nil {
				t.Error("pcapng kept in the result")
			}
		})
	}
}

func planWithFar() plan.TracePlan {
	return plan.TracePlan{Address: "10.244.1.12:8080", Sender: v1alpha1.CheckSpec{ID: "trace:10.244.1.12:8080"},
		Far: []plan.FarHalf{{Node: "node2", Spec: v1alpha1.CheckSpec{ID: "trace:10.244.1.12:8080@node2"}}}}
}
