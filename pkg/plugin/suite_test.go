package plugin

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/engine"
)

// authorizer is a fake API server that answers SelfSubjectAccessReviews:
// allowed unless deny returns true for the attributes.
func authorizer(deny func(a *authorizationv1.ResourceAttributes) bool) *fake.Clientset {
	client := fake.NewClientset()
	client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		review.Status.Allowed = deny == nil || !deny(review.Spec.ResourceAttributes)
		return true, review, nil
	})
	return client
}

const twoChecks = `apiVersion: netcheck.kubectl.io/v1alpha1
kind: CheckSuite
metadata: {name: shop}
checks:
  - name: web open
    source: client
    targets: [svc/web]
  - name: db closed
    source: deploy/frontend
    namespace: shop
    targets: ["svc/db:5432"]
    count: 5
    expect: blocked
`

func writeSuite(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "checks.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// svcReport is a diagnosed run against one service whose two addresses
// answered every connect with outcome.
func svcReport(spec string, outcome v1alpha1.TCPOutcome) *v1alpha1.Report {
	t := v1alpha1.Target{Spec: spec, Kind: "service", IPs: []string{"10.96.0.50"}, Port: 80, Protocol: "TCP",
		Endpoint: []v1alpha1.Endpoint{{IP: "10.244.0.11", Port: 8080, Ready: true}}}
	res := func(addr string) v1alpha1.CheckResult {
		r := v1alpha1.CheckResult{ID: "tcp:" + addr, Check: "tcp", Target: spec + " " + addr, Status: v1alpha1.StatusPass,
			TCP: &v1alpha1.TCPResult{Address: addr}}
		for i := range 3 {
			r.TCP.Attempts = append(r.TCP.Attempts, v1alpha1.TCPAttempt{Seq: i, Outcome: outcome})
		}
		return r
	}
	rep := &v1alpha1.Report{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindReport, Targets: []v1alpha1.Target{t},
		Results: []v1alpha1.CheckResult{res("10.96.0.50:80"), res("10.244.0.11:8080")}}
	rep.Verdict = v1alpha1.Verdict{Status: v1alpha1.VerdictOK, Summary: "OK"}
	if outcome != v1alpha1.TCPOK {
		rep.Findings = []v1alpha1.Finding{{ID: "service-endpoints-all-refused", Severity: v1alpha1.SeverityFault, Target: spec,
			Summary: spec + ": all endpoints refused"}}
		rep.Verdict = v1alpha1.Verdict{Status: v1alpha1.VerdictFault, ExitCode: 1, Summary: "FAULT"}
	}
	return rep
}

// runSuiteCommand runs the real cobra command with the engine replaced by
// reports keyed by source, and returns stdout, stderr, the exit code and the
// engine configs it was called with.
func runSuiteCommand(t *testing.T, client *fake.Clientset, reports map[string]*v1alpha1.Report, stdin string, args ...string) (string, string, int, []engine.Config) {
	t.Helper()
	kubeconfig(t, "default")
	s, out, errOut := streams()
	s.In = strings.NewReader(stdin)
	o := NewOptions(s)
	cmd := newCmdNetcheck(o)
	o.Client = client
	var (
		mu   sync.Mutex
		cfgs []engine.Config
	)
	o.RunEngine = func(_ context.Context, _ engine.Deps, cfg engine.Config) (*v1alpha1.Report, error) {
		mu.Lock()
		defer mu.Unlock()
		cfgs = append(cfgs, cfg)
		return reports[cfg.Source.Raw], nil
	}
	cmd.SetArgs(args)
	code := HandleError(s.ErrOut, cmd.ExecuteContext(context.Background()))
	return out.String(), errOut.String(), code, cfgs
}

func TestSuiteCommand(t *testing.T) {
	path := writeSuite(t, twoChecks)
	for _, tc := range []struct {
		name     string
		reports  map[string]*v1alpha1.Report
		wantCode int
		// testcase name -> failure message ("" = passed)
		wantCases map[string]string
	}{
		{
			name:      "both expectations met",
			reports:   map[string]*v1alpha1.Report{"client": svcReport("svc/web", v1alpha1.TCPOK), "deploy/frontend": svcReport("svc/db:5432", v1alpha1.TCPRefused)},
			wantCode:  0,
			wantCases: map[string]string{"svc/web is reachable": "", "svc/db:5432 is blocked": ""},
		},
		{
			name:     "the closed path is open",
			reports:  map[string]*v1alpha1.Report{"client": svcReport("svc/web", v1alpha1.TCPOK), "deploy/frontend": svcReport("svc/db:5432", v1alpha1.TCPOK)},
			wantCode: 1,
			wantCases: map[string]string{"svc/web is reachable": "",
				"svc/db:5432 is blocked": "expected blocked, but 10.96.0.50:80 connected 3 of 3; 10.244.0.11:8080 connected 3 of 3"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code, cfgs := runSuiteCommand(t, authorizer(nil), tc.reports, "", "-f", path, "-o", "junit", "--count", "7",
				"--image-pull-secret", "regcred")
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", code, tc.wantCode, errOut)
			}
			if strings.Contains(errOut, "error:") {
				t.Errorf("a verdict exit prints no error line: %q", errOut)
			}
			var doc junitTestsuites
			if err := xml.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("junit: %v\n%s", err, out)
			}
			got := map[string]string{}
			for _, s := range doc.Suites {
				for _, c := range s.Cases {
					got[c.Name] = ""
					if c.Failure != nil {
						got[c.Name] = c.Failure.Message
					}
				}
			}
			if diff := cmp.Diff(tc.wantCases, got); diff != "" {
				t.Errorf("testcases (-want +got):\n%s", diff)
			}
			// Each check ran with its own source, namespace and count, and the command line's other settings.
			if len(cfgs) != 2 || cfgs[0].Namespace != "default" || cfgs[0].Plan.Count != 7 ||
				cfgs[1].Namespace != "shop" || cfgs[1].Plan.Count != 5 || cfgs[1].Source.Raw != "deploy/frontend" ||
				cfgs[1].Targets[0].Raw != "svc/db:5432" || len(cfgs[1].ImagePullSecrets) != 1 || cfgs[1].Events != nil ||
				cfgs[0].NoFollowUps || !cfgs[1].NoFollowUps {
				t.Errorf("engine configs: %+v", cfgs)
			}
		})
	}
}

// junitTestsuites is the part of the JUnit document the tests read.
type junitTestsuites struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestSuiteFromStdinAsJSON(t *testing.T) {
	reports := map[string]*v1alpha1.Report{"client": svcReport("svc/web", v1alpha1.TCPOK), "deploy/frontend": svcReport("svc/db:5432", v1alpha1.TCPRefused)}
	out, errOut, code, _ := runSuiteCommand(t, authorizer(nil), reports, twoChecks, "-f", "-", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{`"kind": "SuiteReport"`, `"apiVersion": "netcheck.kubectl.io/v1alpha1"`, `"outcome": "met"`, `"name": "db closed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("json lacks %s", want)
		}
	}
	for _, want := range []string{"check 1/2 web open: client -> svc/web, expect reachable", "check 2/2 db closed: MET"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut)
		}
	}
}

// The preflight covers every check of a suite and runs before the first one:
// a denial is one error line, exit 3, and no engine run.
func TestSuitePreflightDenied(t *testing.T) {
	deny := func(a *authorizationv1.ResourceAttributes) bool {
		return a.Namespace == "shop" && a.Subresource == "ephemeralcontainers"
	}
	out, errOut, code, cfgs := runSuiteCommand(t, authorizer(deny), nil, "", "-f", writeSuite(t, twoChecks))
	if code != v1alpha1.ExitCouldNotRun || len(cfgs) != 0 || out != "" {
		t.Fatalf("exit %d, %d engine runs, stdout %q", code, len(cfgs), out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], `error: permission denied: you may not "patch" pods/ephemeralcontainers in namespace shop`) ||
		!strings.Contains(lines[0], "deploy/rbac.yaml") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// A single run is stopped the same way, before any progress line; with
// --preflight=false the run goes ahead.
func TestRunPreflight(t *testing.T) {
	deny := func(a *authorizationv1.ResourceAttributes) bool { return a.Verb == "watch" }
	reports := map[string]*v1alpha1.Report{"client": svcReport("svc/web", v1alpha1.TCPOK)}
	_, errOut, code, cfgs := runSuiteCommand(t, authorizer(deny), reports, "", "client", "--to", "svc/web")
	if code != v1alpha1.ExitCouldNotRun || len(cfgs) != 0 || strings.Count(errOut, "\n") != 1 ||
		!strings.HasPrefix(errOut, `error: permission denied: you may not "watch" pods in namespace default (to follow the probe container until it runs)`) {
		t.Errorf("exit %d, %d runs, stderr %q", code, len(cfgs), errOut)
	}
	_, errOut, code, cfgs = runSuiteCommand(t, authorizer(deny), reports, "", "client", "--to", "svc/web", "--preflight=false")
	if code != 0 || len(cfgs) != 1 {
		t.Errorf("--preflight=false: exit %d, %d runs, stderr %q", code, len(cfgs), errOut)
	}
}

func TestSuiteOptionErrors(t *testing.T) {
	path := writeSuite(t, twoChecks)
	bad := writeSuite(t, strings.Replace(twoChecks, "targets: [svc/web]", "tragets: [svc/web]", 1))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"source and -f", []string{"client", "-f", path}, `-f ` + path + ` and SOURCE "client" are exclusive`},
		{"--to and -f", []string{"-f", path, "--to", "svc/web"}, "and --to are exclusive"},
		{"ndjson", []string{"-f", path, "-o", "ndjson"}, `unknown output format "ndjson" for a suite (-f): use one of table, json, yaml, junit`},
		{"missing file", []string{"-f", "/nonexistent/checks.yaml"}, "open suite: open /nonexistent/checks.yaml"},
		{"strict", []string{"-f", bad}, `line 7: unknown field "tragets" in a check`},
		{"pull secret name", []string{"client", "--to", "svc/web", "--image-pull-secret", "Reg_Cred"}, `--image-pull-secret "Reg_Cred" is not a secret name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code, cfgs := runSuiteCommand(t, authorizer(nil), nil, "", tc.args...)
			if code != v1alpha1.ExitCouldNotRun || len(cfgs) != 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, %d runs, stderr %q; want exit 3 with %q", code, len(cfgs), errOut, tc.want)
			}
		})
	}
}
