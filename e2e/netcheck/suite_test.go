//go:build e2e

package netcheck

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue #5, the CI contract: `kubectl netcheck -f checks.yaml -o junit` with
// one reachable path (client -> svc/web) and one expected closed path
// (client -> svc/db, whose backend REJECTs the client's connects in its own
// network namespace, as a NetworkPolicy would), then a suite whose
// expectation is wrong (svc/web expected blocked). Asserts the exit code and
// the JUnit document a CI system would read.
func TestSuiteJUnit(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "suite")
	db := createReady(t, c, f.ns, backend("db-1", "db", lab.Node2.Name))[0]
	c.CreateService(t, f.ns, framework.EchoService("db", "db"))
	faults.IPTablesRule(t, podNetns(t, db), "filter", "INPUT",
		"-s", f.client.Status.PodIP, "-p", "tcp", "--dport", fmt.Sprint(framework.EchoHTTPPort), "-j", "REJECT")
	dbAddr := fmt.Sprintf("%s:%d", db.Status.PodIP, framework.EchoHTTPPort)

	t.Run("expectations met", func(t *testing.T) {
		suite := writeSuiteFile(t, `apiVersion: netcheck.kubectl.io/v1alpha1
kind: CheckSuite
metadata: {name: e2e}
checks:
  - name: client reaches web
    source: client
    targets: [svc/web]
  - name: db is closed to the client
    source: client
    namespace: `+f.ns+`
    targets: [svc/db]
    count: 6
    expect: blocked
`)
		res := c.Netcheck(t, framework.Context(t, 3*time.Minute), "-n", f.ns, "-f", suite, "-o", "junit")
		if res.ExitCode != v1alpha1.ExitOK {
			t.Fatalf("exit code %d, want 0", res.ExitCode)
		}
		doc := parseJUnit(t, res.Stdout)
		if doc.Name != "e2e" || doc.Tests != 2 || doc.Failures != 0 || doc.Errors != 0 || len(doc.Suites) != 2 {
			t.Errorf("testsuites %q: %d tests, %d failures, %d errors, %d suites; want e2e: 2, 0, 0, 2",
				doc.Name, doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
		}
		web := doc.testcase(t, "client reaches web", "svc/web is reachable")
		closed := doc.testcase(t, "db is closed to the client", "svc/db is blocked")
		for _, tc := range []junitCase{web, closed} {
			if tc.Failure != nil || tc.Error != nil {
				t.Errorf("%s: failure %+v error %+v", tc.Name, tc.Failure, tc.Error)
			}
		}
		// The blocked path was judged by the connects to its backend, all refused or timed out.
		containsAll(t, "svc/db system-out", closed.SystemOut, "blocked:", dbAddr+" 6 of 6 closed")
		containsAll(t, "svc/web system-out", web.SystemOut, "reachable:", "no fault found")
		containsAll(t, "progress", res.Stderr, "check 2/2 db is closed to the client: MET")
		// A closed path needs no look inside the refusing backend: it gets no agent.
		if got, err := c.Client.CoreV1().Pods(f.ns).Get(framework.Context(t, 10*time.Second), db.Name, metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		} else if n := len(got.Spec.EphemeralContainers); n != 0 {
			t.Errorf("the blocked backend %s got %d ephemeral containers", db.Name, n)
		}
	})

	t.Run("expectation violated", func(t *testing.T) {
		suite := writeSuiteFile(t, `apiVersion: netcheck.kubectl.io/v1alpha1
kind: CheckSuite
checks:
  - name: web should be closed
    source: client
    targets: [svc/web]
    count: 4
    expect: blocked
`)
		res := c.Netcheck(t, framework.Context(t, 3*time.Minute), "-n", f.ns, "-f", suite, "-o", "junit")
		if res.ExitCode != v1alpha1.ExitFault {
			t.Fatalf("exit code %d, want 1", res.ExitCode)
		}
		doc := parseJUnit(t, res.Stdout)
		if doc.Tests != 1 || doc.Failures != 1 {
			t.Errorf("%d tests, %d failures; want 1, 1", doc.Tests, doc.Failures)
		}
		tc := doc.testcase(t, "web should be closed", "svc/web is blocked")
		if tc.Failure == nil {
			t.Fatalf("no failure: %+v", tc)
		}
		front := fmt.Sprintf("%s:80", f.svc.Spec.ClusterIP)
		containsAll(t, "failure message", tc.Failure.Message, "expected blocked, but", front+" connected 4 of 4",
			fmt.Sprintf("%s:%d connected 4 of 4", f.web1.Status.PodIP, framework.EchoHTTPPort))
		if tc.Failure.Type != "expectation-blocked" {
			t.Errorf("failure type %q", tc.Failure.Type)
		}
		if strings.Contains(res.Stderr, "error:") {
			t.Errorf("a violated expectation is a result, not an error:\n%s", res.Stderr)
		}
	})
}

func writeSuiteFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "checks.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The JUnit schema as CI systems read it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name  string      `xml:"name,attr"`
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Classname string      `xml:"classname,attr"`
	Name      string      `xml:"name,attr"`
	Failure   *junitFault `xml:"failure"`
	Error     *junitFault `xml:"error"`
	SystemOut string      `xml:"system-out"`
}

type junitFault struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func parseJUnit(t *testing.T, s string) junitDoc {
	t.Helper()
	if !strings.HasPrefix(s, xml.Header) {
		t.Errorf("no XML header: %.80q", s)
	}
	var doc junitDoc
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("parse JUnit: %v\n%s", err, s)
	}
	return doc
}

func (d junitDoc) testcase(t *testing.T, suite, name string) junitCase {
	t.Helper()
	var seen []string
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			if s.Name == suite && c.Name == name {
				return c
			}
			seen = append(seen, s.Name+" / "+c.Name)
		}
	}
	t.Fatalf("no testcase %q in testsuite %q; have %q", name, suite, seen)
	return junitCase{}
}
