package plugin

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/engine"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plan"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/preflight"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// kubeconfig points KUBECONFIG at a file whose current context uses namespace ns.
func kubeconfig(t *testing.T, ns string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.200.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: ` + ns + `}}]
current-context: x
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", path)
}

func streams() (genericiooptions.IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}, out, errOut
}

func TestOptionsCompleteAndConfig(t *testing.T) {
	kubeconfig(t, "shop")
	s, out, _ := streams()
	o := NewOptions(s)
	cmd := newCmdNetcheck(o)
	if err := cmd.Flags().Parse([]string{"--to", "svc/web:http", "--to", "dns/kubernetes.default", "--registry", "registry.internal:5000/nc",
		"--image-pull-policy", "Never", "--count", "5", "--timeout", "10s", "-c", "app", "-o", "ndjson",
		"--mode", "auto", "--deep", "--node-namespace", "ops", "--capture-out", "/tmp/caps"}); err != nil {
		t.Fatal(err)
	}
	o.Client = fake.NewClientset()
	if err := o.Complete(cmd, []string{"deploy/frontend"}); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	svc, _ := target.Parse("svc/web:http")
	dns, _ := target.Parse("dns/kubernetes.default")
	want := engine.Config{
		Namespace:       "shop",
		Source:          target.Source{Raw: "deploy/frontend", Kind: target.SourceDeployment, Name: "frontend"},
		Targets:         []target.Spec{svc, dns},
		Container:       "app",
		Image:           "registry.internal:5000/nc/netcheck-probe:" + version.Tag(),
		ImagePullPolicy: corev1.PullNever,
		Timeout:         10 * time.Second,
		Plan:            plan.Options{Count: 5},
		Mode:            engine.ModeAuto,
		Deep:            true,
		NodeNamespace:   "ops",
		CaptureOut:      "/tmp/caps",
	}
	got := o.Config()
	if got.Events != out {
		t.Errorf("-o ndjson: events go to %v, want stdout", got.Events)
	}
	got.Events = nil
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("Config (-want +got):\n%s", diff)
	}
}

func TestOptionsCompleteErrors(t *testing.T) {
	kubeconfig(t, "default")
	for _, tc := range []struct {
		name    string
		args    []string
		to      []string
		wantErr string
	}{
		{"no source", nil, []string{"svc/web"}, "name one SOURCE pod"},
		{"bad source", []string{"svc/web"}, []string{"svc/web"}, "the source is NAME, pod/NAME, deploy/NAME or node/NAME"},
		{"bad target", []string{"client"}, []string{"web"}, "unknown target syntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := streams()
			o := NewOptions(s)
			o.Client, o.To = fake.NewClientset(), tc.to
			err := o.Complete(nil, tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	valid := func() *Options {
		s, _, _ := streams()
		o := NewOptions(s)
		spec, _ := target.Parse("svc/web")
		o.targets, o.Image = []target.Spec{spec}, version.ProbeImage("")
		return o
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	node := valid()
	node.targets, node.source = nil, target.Source{Raw: "node/n1", Kind: target.SourceNode, Name: "n1"}
	if err := node.Validate(); err != nil {
		t.Errorf("node/NAME needs no --to: %v", err)
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*Options)
		wantErr string
	}{
		{"no targets", func(o *Options) { o.targets = nil }, "no targets"},
		{"output", func(o *Options) { o.Output = "wide" }, `unknown output format "wide"`},
		{"count", func(o *Options) { o.Count = 0 }, "--count 0"},
		{"timeout", func(o *Options) { o.Timeout = 0 }, "--timeout must be positive"},
		{"pull policy", func(o *Options) { o.ImagePullPolicy = "Sometimes" }, `--image-pull-policy "Sometimes"`},
		{"image and registry", func(o *Options) { o.Image, o.Registry = "x/y:z", "r.internal" }, "--image and --registry"},
		{"mode", func(o *Options) { o.Mode = "host" }, `--mode "host": want auto, pod, node`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.mutate(o)
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestRootCommandExitCodes drives the real cobra command with the engine
// replaced, and checks the verdict -> exit code contract and where output goes.
func TestRootCommandExitCodes(t *testing.T) {
	kubeconfig(t, "default")
	for _, tc := range []struct {
		name      string
		report    *v1alpha1.Report
		engineErr error
		args      []string
		wantCode  int
		wantErr   string
	}{
		{name: "ok", report: &v1alpha1.Report{Verdict: v1alpha1.Verdict{Status: v1alpha1.VerdictOK}}, wantCode: 0},
		{name: "fault", report: &v1alpha1.Report{Verdict: v1alpha1.Verdict{Status: v1alpha1.VerdictFault, ExitCode: 1}}, wantCode: 1},
		{name: "inconclusive without code", report: &v1alpha1.Report{Verdict: v1alpha1.Verdict{Status: v1alpha1.VerdictInconclusive}}, wantCode: 2},
		{name: "could not run", engineErr: errors.New(`services "web" not found`), wantCode: 3, wantErr: `error: services "web" not found`},
		{name: "bad flag", args: []string{"client", "--to", "svc/web", "--nope"}, wantCode: 3, wantErr: "unknown flag: --nope (see 'kubectl netcheck --help')"},
		{name: "bad target", args: []string{"client", "--to", "nope"}, wantCode: 3, wantErr: "unknown target syntax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, errOut := streams()
			o := NewOptions(s)
			cmd := newCmdNetcheck(o)
			o.Client = authorizer(nil)
			o.RunEngine = func(context.Context, engine.Deps, engine.Config) (*v1alpha1.Report, error) {
				return tc.report, tc.engineErr
			}
			args := tc.args
			if args == nil {
				args = []string{"client", "--to", "svc/web", "-o", "ndjson"}
			}
			cmd.SetArgs(args)
			code := HandleError(s.ErrOut, cmd.ExecuteContext(context.Background()))
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, errOut.String())
			}
			if tc.wantErr != "" && !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("stderr %q, want %q", errOut.String(), tc.wantErr)
			}
			if strings.Count(errOut.String(), "error:") > 1 {
				t.Errorf("error printed more than once: %q", errOut.String())
			}
		})
	}
}

func TestHelpSaysKubectlNetcheck(t *testing.T) {
	s, out, _ := streams()
	cmd := NewCmdNetcheck(s)
	cmd.SetOut(out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	for _, want := range []string{"kubectl netcheck SOURCE --to TARGET", "Exit codes:", "3  could not run", "svc/NS/NAME[:PORT]", "--kubeconfig", "--context", "--namespace"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestSubcommands(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wantOut  string
		wantCode int
	}{
		{[]string{"image"}, version.ProbeImage("") + "\n", 0},
		{[]string{"image", "--registry", "mirror.internal/nc"}, "mirror.internal/nc/netcheck-probe:" + version.Tag() + "\n", 0},
		{[]string{"version"}, "kubectl-netcheck " + version.Version + "\nprobe image: " + version.ProbeImage("") + "\n", 0},
		{[]string{"explain", "no-such-finding"}, "", 3},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			s, out, errOut := streams()
			cmd := NewCmdNetcheck(s)
			cmd.SetArgs(tc.args)
			code := HandleError(s.ErrOut, cmd.Execute())
			if code != tc.wantCode || out.String() != tc.wantOut {
				t.Errorf("code %d out %q (stderr %q); want %d %q", code, out.String(), errOut.String(), tc.wantCode, tc.wantOut)
			}
		})
	}
}

func TestTargetCompletions(t *testing.T) {
	svcs := func() []string { return []string{"web", "api"} }
	pods := func() []string { return []string{"web-1", "client"} }
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{"svc/", "pod/", "dns/"}},
		{"s", []string{"svc/"}},
		{"svc/", []string{"svc/web", "svc/api"}},
		{"svc/w", []string{"svc/web"}},
		{"pod/c", []string{"pod/client"}},
		{"10.", nil},
	} {
		if diff := cmp.Diff(tc.want, TargetCompletions(tc.in, svcs, pods)); diff != "" {
			t.Errorf("TargetCompletions(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestPreflightInputByMode(t *testing.T) {
	s, _, _ := streams()
	o := NewOptions(s)
	o.namespace = "shop"
	o.source, _ = target.ParseSource("client")
	if in := o.preflightInput(); in.Mode != preflight.ModePod || in.SourceNamespace != "shop" {
		t.Errorf("auto: %+v, want the pod view's calls", in)
	}
	o.Mode = engine.ModeNode
	if in := o.preflightInput(); in.Mode != preflight.ModeNode || in.NodeNamespace != "shop" || in.SourceNamespace != "shop" {
		t.Errorf("--mode node: %+v, want node pods in -n and the source pod read", in)
	}
	o.Mode, o.NodeNamespace = engine.ModeAuto, "ops"
	o.source, _ = target.ParseSource("node/n1")
	if in := o.preflightInput(); in.Mode != preflight.ModeNode || in.NodeNamespace != "ops" || in.SourceNamespace != "" {
		t.Errorf("node/NAME: %+v, want node pods in ops and no source pod", in)
	}
}
