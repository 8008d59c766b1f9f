package engine

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/kube"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

func config(t *testing.T, source string, targets ...string) Config {
	t.Helper()
	src, err := target.ParseSource(source)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Namespace: "default", Source: src, Image: testImage, ImagePullPolicy: corev1.PullNever, Timeout: 5 * time.Second}
	for _, s := range targets {
		spec, err := target.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Targets = append(cfg.Targets, spec)
	}
	return cfg
}

func TestRunPodToServiceFirstRunThenReuse(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(cluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	kubelet(ctx, client)
	probe := &scriptedProbe{outcome: healthy("")}
	progress := &recorder{}
	deps := Deps{Client: client, Executor: probe, Progress: progress, NameSuffix: func() string { return "aaaaa" }}

	report, err := Run(ctx, deps, config(t, "client", "svc/web"))
	if err != nil {
		t.Fatal(err)
	}
	if report.Source.Pod != "client" || report.Mode != "pod" || report.ModeReason != "ephemeral agent netcheck-dev-aaaaa in the source pod" {
		t.Errorf("source/mode = %+v / %q / %q", report.Source, report.Mode, report.ModeReason)
	}
	if len(report.Targets) != 1 || len(report.Targets[0].Endpoint) != 2 {
		t.Fatalf("targets = %+v", report.Targets)
	}
	var ids []string
	for _, r := range report.Results {
		ids = append(ids, r.ID)
		if r.Vantage != "pod default/client" {
			t.Errorf("result %s has vantage %q", r.ID, r.Vantage)
		}
	}
	want := "tcp:10.96.0.50:80 tcp:10.244.0.11:8080 icmp:10.244.0.11 tcp:10.244.1.12:8080 icmp:10.244.1.12 dns:web netinfo:default/client"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("results (plan order)\n got %s\nwant %s", got, want)
	}
	if report.APIVersion != v1alpha1.APIVersion || report.Kind != v1alpha1.KindReport || report.Verdict.Status == "" {
		t.Errorf("report header/verdict not set: %q %q %+v", report.APIVersion, report.Kind, report.Verdict)
	}
	// One exec with the whole plan, DNS servers included.
	reqs := probe.requests(t)
	req, ok := reqs["client/netcheck-dev-aaaaa"]
	if len(reqs) != 1 || !ok {
		t.Fatalf("execs = %v, want one into client/netcheck-dev-aaaaa", reqs)
	}
	for _, c := range req.Checks {
		if c.Check == "dns" && (len(c.DNS.Servers) != 1 || c.DNS.Servers[0].Name != "kube-system/coredns-a (node node1)") {
			t.Errorf("dns servers = %+v", c.DNS.Servers)
		}
	}
	// The resolution shows before any probe event.
	lines := progress.String()
	if r, e := strings.Index(lines, "resolved client -> 1 targets"), strings.Index(lines, "event pod default/client hello"); r < 0 || e < 0 || r > e {
		t.Errorf("resolution not shown before the checks:\n%s", lines)
	}

	// Second run: the agent is running, so it is reused and nothing is patched.
	before := len(client.Actions())
	deps.NameSuffix = func() string { return "bbbbb" }
	report, err = Run(ctx, deps, config(t, "pod/client", "svc/web"))
	if err != nil {
		t.Fatal(err)
	}
	if report.ModeReason != "reused ephemeral agent netcheck-dev-aaaaa in the source pod" {
		t.Errorf("second run mode reason = %q", report.ModeReason)
	}
	for _, a := range client.Actions()[before:] {
		if a.GetVerb() == "patch" {
			t.Errorf("second run patched: %v", a)
		}
	}
	p, _ := client.CoreV1().Pods("default").Get(ctx, "client", metav1.GetOptions{})
	if n := len(p.Spec.EphemeralContainers); n != 1 {
		t.Errorf("pod has %d ephemeral containers after two runs, want 1", n)
	}
}

func TestRunReplacesAReusedAgentThatDoesNotAnswer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset(cluster(withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"))...)
	kubelet(ctx, client)
	probe := &scriptedProbe{outcome: healthy(""), silent: map[string]bool{"netcheck-dev-zzzzz": true}}
	deps := Deps{Client: client, Executor: probe, NameSuffix: func() string { return "fresh" }}
	report, err := Run(ctx, deps, config(t, "client", "svc/web"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.ModeReason, "netcheck-dev-fresh") || len(report.Results) != 7 {
		t.Errorf("mode %q with %d results, want the fresh agent's 7", report.ModeReason, len(report.Results))
	}
}

func TestRunFollowsUpRefusedEndpoint(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(cluster(
		withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"),
	)...)
	// web-2 has an agent too, so the follow-up needs no kubelet.
	web2, _ := client.CoreV1().Pods("default").Get(ctx, "web-2", metav1.GetOptions{})
	if _, err := client.CoreV1().Pods("default").Update(ctx, withRunningAgent(web2, "netcheck-dev-yyyyy"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	probe := &scriptedProbe{outcome: healthy("10.244.1.12:8080")}
	cfg := config(t, "client", "svc/web")
	cfg.Mode = ModePod // the pod view's own follow-up, without a node view
	report, err := Run(ctx, Deps{Client: client, Executor: probe}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	reqs := probe.requests(t)
	follow, ok := reqs["web-2/netcheck-dev-yyyyy"]
	if !ok || len(follow.Checks) != 1 || follow.Checks[0].Check != "netinfo" || !follow.Checks[0].NetInfo.Listeners {
		t.Fatalf("follow-up exec = %+v (all: %v)", follow, reqs)
	}
	last := report.Results[len(report.Results)-1]
	if last.ID != "netinfo:default/web-2" || last.Vantage != "pod default/web-2" || last.NetInfo == nil {
		t.Errorf("last result = %+v, want web-2's netinfo from web-2", last)
	}
}

func TestRunFollowUpThatCannotRunIsAResult(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(cluster(
		withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"),
	)...)
	// web-2 gets no agent and no kubelet: its agent never runs.
	cfg := config(t, "client", "svc/web")
	cfg.Timeout = 300 * time.Millisecond
	cfg.Mode = ModePod
	report, err := Run(ctx, Deps{Client: client, Executor: &scriptedProbe{outcome: healthy("10.244.1.12:8080")}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	last := report.Results[len(report.Results)-1]
	if last.ID != "netinfo:default/web-2" || last.Status != v1alpha1.StatusError || !strings.Contains(last.Error, "timed out") {
		t.Errorf("last result = %+v, want an error result for web-2", last)
	}
}

func TestRunNDJSONPassThrough(t *testing.T) {
	client := fake.NewClientset(cluster(withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"))...)
	var out bytes.Buffer
	cfg := config(t, "client", "10.244.0.11:8080")
	cfg.Events = &out
	if _, err := Run(context.Background(), Deps{Client: client, Executor: &scriptedProbe{outcome: healthy("")}}, cfg); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// hello, started+result for tcp, icmp, netinfo, done
	if len(lines) != 8 {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if _, err := v1alpha1.DecodeEvent([]byte(l)); err != nil {
			t.Errorf("line %q: %v", l, err)
		}
	}
}

func TestRunErrors(t *testing.T) {
	pending := pod("default", "pending", "node1", "", nil)
	pending.Status.Phase = corev1.PodPending
	client := fake.NewClientset(cluster(
		withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"), pending)...)
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"missing source", config(t, "nope", "svc/web"), `pods "nope" not found`},
		{"source not running", config(t, "pending", "svc/web"), "is Pending, not Running"},
		{"missing service", config(t, "client", "svc/web", "svc/nope"), `services "nope" not found`},
		{"missing port", config(t, "client", "svc/web:grpc"), `has no port "grpc"`},
		{"no targets", config(t, "client"), "no targets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), Deps{Client: client, Executor: &scriptedProbe{outcome: healthy("")}}, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	client := fake.NewClientset(cluster(withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"))...)
	ctx, cancel := context.WithCancel(context.Background())
	hang := &hangingProbe{started: make(chan struct{})}
	go func() { <-hang.started; cancel() }()
	_, err := Run(ctx, Deps{Client: client, Executor: hang}, config(t, "client", "svc/web"))
	if err == nil || !strings.HasPrefix(err.Error(), "interrupted") {
		t.Errorf("error = %v, want interrupted", err)
	}
}

// hangingProbe starts and never finishes, like checks stuck on a black hole.
type hangingProbe struct{ started chan struct{} }

func (h *hangingProbe) Exec(ctx context.Context, _ kube.ExecRequest, _, _ io.Writer) error {
	close(h.started)
	<-ctx.Done()
	return ctx.Err()
}

func TestImageTag(t *testing.T) {
	for in, want := range map[string]string{
		"localhost/netcheck/netcheck-probe:dev":     "dev",
		"registry:5000/netcheck-probe":              "latest",
		"ghcr.io/x/netcheck-probe:1.2.3@sha256:abc": "1.2.3",
		"registry:5000/netcheck-probe:v1.0.0":       "v1.0.0",
	} {
		if got := imageTag(in); got != want {
			t.Errorf("imageTag(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkRunReusedAgent measures the plugin's own overhead for pod -> svc with
// two endpoints when the agent is reused: resolution, plan, encode, decode,
// diagnose (the API and the probe are in-memory fakes, so the network is not in it).
func BenchmarkRunReusedAgent(b *testing.B) {
	client := fake.NewClientset(cluster(withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"))...)
	src, _ := target.ParseSource("client")
	svc, _ := target.Parse("svc/web")
	cfg := Config{Namespace: "default", Source: src, Targets: []target.Spec{svc}, Image: testImage, Timeout: 5 * time.Second}
	deps := Deps{Client: client, Executor: &scriptedProbe{outcome: healthy("")}}
	for b.Loop() {
		if _, err := Run(context.Background(), deps, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
