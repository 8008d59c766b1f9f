package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
)

// neverPull is the kubelet's state for an image it may not pull and does not have.
var neverPull = &corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull",
	Message: `Container image "` + testImage + `" is not present with pull policy of Never`}}

// sickKubelet runs node pods as nodeKubelet does, except on the nodes in
// sick: there the agent container gets the state given, or, for nil, the pod
// stays Pending with no status at all (the kubelet of a NotReady node).
func sickKubelet(ctx context.Context, client *fake.Clientset, sick map[string]*corev1.ContainerState) {
	go func() {
		done := map[string]bool{}
		for ctx.Err() == nil {
			list, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: launch.ManagedByLabel})
			if err == nil {
				for i := range list.Items {
					p := &list.Items[i]
					if done[p.Name] {
						continue
					}
					done[p.Name] = true
					state, isSick := sick[p.Spec.NodeName]
					switch {
					case isSick && state == nil:
						continue
					case isSick:
						p.Status.Phase = corev1.PodPending
					default:
						p.Status.Phase = corev1.PodRunning
						state = &corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
					}
					p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: launch.NodeAgentContainer, State: *state}}
					_, _ = client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// execNodes are the nodes the probe ran on, once each.
func execNodes(p *nodeProbe) map[string]bool {
	out := map[string]bool{}
	for _, e := range p.records() {
		out[nodeOf(e.Pod)] = true
	}
	return out
}

func nodePodsLeft(t *testing.T, client *fake.Clientset) []string {
	t.Helper()
	list, err := client.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{LabelSelector: launch.ManagedByLabel})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	return names
}

func TestRunNodeModeGoesOnWithoutAFarNodeThatCannotStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	sickKubelet(ctx, client, map[string]*corev1.ContainerState{"node2": neverPull})
	probe := &nodeProbe{}
	progress := &recorder{}
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode, cfg.NodeNamespace = ModeNode, "ops"
	rep, err := Run(ctx, Deps{Client: client, Executor: probe, Progress: progress, NameSuffix: func() string { return "aaaaa" }}, cfg)
	if err != nil {
		t.Fatalf("a node pod that cannot start failed the run: %v", err)
	}

	reason := "image " + testImage + " is not present on node node2 (ErrImageNeverPull); load it onto the node or use --image (or --registry for a mirror)"
	views := map[string]*v1alpha1.NodeViewState{}
	for _, n := range rep.Nodes {
		views[n.Name] = n.View
	}
	want := map[string]*v1alpha1.NodeViewState{
		"node1": {Status: v1alpha1.NodeWatched},
		"node2": {Status: v1alpha1.NodeUnwatched, Reason: reason, Cause: v1alpha1.CauseImage, Image: testImage, Pod: "ops/netcheck-node2-aaaaa"},
	}
	if d := cmp.Diff(want, views); d != "" {
		t.Errorf("node views (-want +got):\n%s", d)
	}
	if got := execNodes(probe); !got["node1"] || got["node2"] || len(got) != 1 {
		t.Errorf("probe ran on %v, want node1 only", got)
	}
	var ids []string
	for _, r := range rep.Results {
		ids = append(ids, r.ID)
	}
	if got, want := strings.Join(ids, " "), "nodeinfo:node1:before nsscan:node1 tcp:10.244.1.12:8080 icmp:10.244.1.12 netinfo:default/client trace:10.244.1.12:8080 trace:icmp:10.244.1.12 nodeinfo:node1:after"; got != want {
		t.Errorf("results\n got %s\nwant %s", got, want)
	}
	// The near halves (SYNs and echoes) ran and say plainly what is missing; no hop of node2 is in them.
	for _, id := range []string{"trace:10.244.1.12:8080", "trace:icmp:10.244.1.12"} {
		tr := findResult(t, rep, id)
		if tr.Vantage != "node node1" || tr.Status != v1alpha1.StatusPass || !strings.Contains(tr.Summary, "node node2 could not be watched: "+reason) {
			t.Errorf("%s: %s from %q: %s", id, tr.Status, tr.Vantage, tr.Summary)
		}
		for _, h := range tr.Trace.Hops {
			if h.Node != "node1" {
				t.Errorf("%s: hop %s on a node nobody watched", id, h.Label)
			}
		}
	}
	if len(rep.Findings) != 1 || rep.Findings[0].ID != diagnose.IDNodeViewUnavailable || rep.Findings[0].Hop != "node node2" ||
		!strings.Contains(rep.Findings[0].Fix, "pre-pull") {
		t.Errorf("findings: %+v", rep.Findings)
	}
	if rep.Verdict.ExitCode != v1alpha1.ExitInconclusive {
		t.Errorf("verdict %+v, want exit 2", rep.Verdict)
	}
	lines := progress.String()
	for _, w := range []string{"warning: node node2 cannot be watched: " + reason, "deleted node pod ops/netcheck-node1-aaaaa",
		"deleted node pod ops/netcheck-node2-aaaaa"} {
		if !strings.Contains(lines, w) {
			t.Errorf("progress lacks %q:\n%s", w, lines)
		}
	}
	if strings.Contains(lines, "capturing on node node2") {
		t.Errorf("progress claims a capture on node2:\n%s", lines)
	}
	if left := nodePodsLeft(t, client); len(left) != 0 {
		t.Errorf("node pods left: %v", left)
	}
}

func TestRunNodeModeWithoutTheSourceNode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	sickKubelet(ctx, client, map[string]*corev1.ContainerState{"node1": neverPull})
	probe := &nodeProbe{}
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode = ModeNode
	rep, err := Run(ctx, Deps{Client: client, Executor: probe}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// node2's own state is read; the pod's checks need node1 and say so.
	if got := execNodes(probe); !got["node2"] || got["node1"] {
		t.Errorf("probe ran on %v, want node2 only", got)
	}
	for _, r := range rep.Results {
		if strings.Contains(r.Vantage, "node2") {
			if r.Status != v1alpha1.StatusPass {
				t.Errorf("%s on node2: %s", r.ID, r.Status)
			}
			continue
		}
		if r.Status != v1alpha1.StatusError || !strings.Contains(r.Error, "node node1 could not be watched: image") {
			t.Errorf("%s (%s): %s %q, want an error naming node1", r.ID, r.Vantage, r.Status, r.Error)
		}
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.ID)
	}
	// One finding for the node, not one check-error per check that needed it.
	if d := cmp.Diff([]string{diagnose.IDNodeViewUnavailable}, got); d != "" || rep.Verdict.ExitCode != v1alpha1.ExitInconclusive {
		t.Errorf("findings (-want +got):\n%s\nverdict %+v", d, rep.Verdict)
	}
	if left := nodePodsLeft(t, client); len(left) != 0 {
		t.Errorf("node pods left: %v", left)
	}
}

func TestRunNodeModeNoNodePodStarts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	sickKubelet(ctx, client, map[string]*corev1.ContainerState{"node1": neverPull, "node2": neverPull})
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode = ModeNode
	_, err := Run(ctx, Deps{Client: client, Executor: &nodeProbe{}}, cfg)
	// One line: the first node's error with its fix, once.
	want := "image " + testImage + " is not present on node node1 (ErrImageNeverPull); " +
		"load it onto the node or use --image (or --registry for a mirror) (the same on node node2)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
	if left := nodePodsLeft(t, client); len(left) != 0 {
		t.Errorf("node pods left: %v", left)
	}
}

func TestRunNodeModeNamesANotReadyNode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	objs := nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))
	for _, o := range objs {
		if n, ok := o.(*corev1.Node); ok && n.Name == "node2" {
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown,
				Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status."}}
		}
	}
	client := fake.NewClientset(objs...)
	sickKubelet(ctx, client, map[string]*corev1.ContainerState{"node2": nil})
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode, cfg.Timeout = ModeNode, 200*time.Millisecond // the wait for node2's pod runs out
	rep, err := Run(ctx, Deps{Client: client, Executor: &nodeProbe{}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var view *v1alpha1.NodeViewState
	for _, n := range rep.Nodes {
		if n.Name == "node2" {
			view = n.View
		}
	}
	if view == nil || view.Cause != v1alpha1.CauseNodeNotReady ||
		!strings.HasPrefix(view.Reason, "node node2 is NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node status), so its kubelet did not run the node pod") {
		t.Fatalf("node2 view = %+v", view)
	}
	if f := rep.Findings[0]; f.ID != diagnose.IDNodeViewUnavailable || !strings.Contains(f.Fix, "Node node2 is NotReady") {
		t.Errorf("finding: %+v", f)
	}
	if left := nodePodsLeft(t, client); len(left) != 0 {
		t.Errorf("node pods left: %v", left)
	}
}

func TestStartFailureCause(t *testing.T) {
	psa := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "netcheck-node2-aaaaa",
		errors.New(`violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true)`))
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&launch.AgentError{Reason: "ErrImageNeverPull"}, v1alpha1.CauseImage},
		{&launch.AgentError{Reason: "ImagePullBackOff"}, v1alpha1.CauseImage},
		{&launch.AgentError{Reason: "OutOfpods"}, v1alpha1.CauseOther},
		{&launch.NodeNotReadyError{Node: "node2", Err: errors.New("timed out")}, v1alpha1.CauseNodeNotReady},
		{&launch.NodePodError{PodNamespace: "ops", PodName: "netcheck-node2-aaaaa", Node: "node2", Err: psa}, v1alpha1.CausePodSecurity},
		{errors.New("timed out after 1m0s waiting for node pod"), v1alpha1.CauseOther},
	} {
		if got := startFailureCause(tc.err); got != tc.want {
			t.Errorf("startFailureCause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestAllFailedSaysEachDifferentReasonOnce(t *testing.T) {
	image := func(node string) error {
		return &launch.AgentError{Node: node, Image: "img", Reason: "ErrImageNeverPull"}
	}
	for _, tc := range []struct {
		name   string
		nodes  []string
		failed map[string]nodeStartFailure
		want   string
	}{
		{"one node: its error as it was", []string{"node1"}, map[string]nodeStartFailure{"node1": {err: image("node1")}},
			image("node1").Error()},
		{"the same reason on every node", []string{"node1", "node2", "node3"},
			map[string]nodeStartFailure{"node1": {err: image("node1")}, "node2": {err: image("node2")}, "node3": {err: image("node3")}},
			image("node1").Error() + " (the same on node node2, node3)"},
		{"one reason naming no node", []string{"node1", "node2"},
			map[string]nodeStartFailure{"node1": {err: errors.New("quota exceeded")}, "node2": {err: errors.New("quota exceeded")}},
			"quota exceeded"},
		{"different reasons", []string{"node1", "node2"},
			map[string]nodeStartFailure{"node1": {err: image("node1")}, "node2": {err: errors.New("timed out")}},
			"no node pod started: " + image("node1").Error() + "; node node2: timed out"},
	} {
		if got := allFailed(tc.nodes, tc.failed).Error(); got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, tc.want)
		}
	}
}

func TestMergeTraceNamesAnUnwatchedFarNode(t *testing.T) {
	sender := answer("node1", v1alpha1.CheckSpec{ID: "trace:10.244.1.12:8080", Check: "trace", Trace: &v1alpha1.TraceSpec{
		Destination: "10.244.1.12", Port: 8080, Count: 1, SourcePort: 61000,
		Hops: []v1alpha1.TraceHop{{Node: "node1", Name: "cni0", Ifname: "cni0"}, {Node: "node1", Name: "eth0", Ifname: "eth0"}}}})
	sender.ID, sender.Started, sender.DurationMillis = "trace:10.244.1.12:8080", time.Now(), 1500
	sender.Status, sender.Summary = v1alpha1.StatusFail, "0/1 answered; request last seen at node1/eth0, nothing came back"
	r := &run{report: &v1alpha1.Report{Source: v1alpha1.Source{Node: "node1"}}}
	why := &unwatchedError{node: "node2", reason: "image img is not present on node node2 (ErrImageNeverPull)"}
	halves := &farHalves{results: map[string]v1alpha1.CheckResult{}, errs: map[string]error{"node2": why}}
	got := r.mergeTrace(sender, planWithFar(), halves)
	wantNote := "far side not captured (node node2 could not be watched: image img is not present on node node2 (ErrImageNeverPull))"
	// A failed trace whose far node nobody watched cannot say where the probes died.
	if got.Status != v1alpha1.StatusError || got.Error != "cannot tell where the probes died: "+wantNote || len(got.Trace.Hops) != 2 {
		t.Errorf("status %s, error %q, %d hops", got.Status, got.Error, len(got.Trace.Hops))
	}
}

// Ctrl-C while node1's pod runs and node2's is still pending: both are gone
// afterwards (node1's by cleanup, node2's by the launcher giving up on it).
func TestRunNodeModeInterruptedWhileANodePodIsPending(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(nodeCluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	sickKubelet(ctx, client, map[string]*corev1.ContainerState{"node2": nil})
	progress := &recorder{}
	go func() {
		for !strings.Contains(progress.String(), "runs on node node1") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	cfg := config(t, "client", "pod/web-2:8080")
	cfg.Mode, cfg.Timeout = ModeNode, time.Minute
	_, err := Run(ctx, Deps{Client: client, Executor: &nodeProbe{}, Progress: progress}, cfg)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("error = %v", err)
	}
	if left := nodePodsLeft(t, client); len(left) != 0 {
		t.Errorf("node pods left after Ctrl-C: %v", left)
	}
	if strings.Contains(progress.String(), "cannot be watched") {
		t.Errorf("an interrupted start reported as an unwatched node:\n%s", progress.String())
	}
}
