package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// JUnit XML in the shape CI systems (Jenkins, GitLab, GitHub test reporters)
// read: one testcase per target and check, classname = target, name = check.
// Modelled on cilium-cli's connectivity/internal/junit: a few encoding/xml
// structs instead of a dependency.
type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitTestcase `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestcase struct {
	Classname string       `xml:"classname,attr"`
	Name      string       `xml:"name,attr"`
	Time      string       `xml:"time,attr"`
	Failure   *junitResult `xml:"failure,omitempty"`
	Error     *junitResult `xml:"error,omitempty"`
	Skipped   *junitResult `xml:"skipped,omitempty"`
	SystemOut *junitText   `xml:"system-out,omitempty"`
}

// Bodies are CDATA so multi-line evidence stays readable in the raw file
// (chardata would turn every newline into &#xA;).
type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// inconclusiveFinding: findings that say "not tested" map to <error>, like errored checks.
var inconclusiveFinding = map[string]bool{"check-error": true, "check-missing": true, "check-failed-unexplained": true}

func printJUnit(w io.Writer, r *v1alpha1.Report) error {
	doc := buildJUnit(r)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// buildJUnit maps results to testcases: a fault finding citing the result is a
// <failure> (carrying the finding), an errored check or an inconclusive finding
// an <error>, a skipped check <skipped>; other findings go to <system-out>.
// Findings that cite no result (Service facts, missing results) get a
// testcase of their own so nothing the verdict counts is lost.
func buildJUnit(r *v1alpha1.Report) junitTestsuites {
	byCheck := map[string][]v1alpha1.Finding{}
	var orphans []v1alpha1.Finding
	ids := map[string]bool{}
	for _, res := range r.Results {
		ids[res.ID] = true
	}
	for _, f := range r.Findings {
		cited := false
		for _, id := range f.CheckIDs {
			if ids[id] {
				byCheck[id] = append(byCheck[id], f)
				cited = true
			}
		}
		if !cited {
			orphans = append(orphans, f)
		}
	}
	vantages := map[string]bool{}
	for _, res := range r.Results {
		vantages[res.Vantage] = true
	}

	suite := junitTestsuite{
		Name: fmt.Sprintf("kubectl-netcheck from pod %s/%s", r.Source.Namespace, r.Source.Pod),
		Properties: []junitProperty{
			{Name: "verdict", Value: string(r.Verdict.Status)},
			{Name: "exitCode", Value: strconv.Itoa(r.Verdict.ExitCode)},
			{Name: "summary", Value: r.Verdict.Summary},
			{Name: "mode", Value: r.Mode},
			{Name: "node", Value: r.Source.Node},
		},
	}
	var total float64
	var first time.Time
	for _, res := range r.Results {
		name := res.Check
		if len(vantages) > 1 && res.Vantage != "" {
			name += " from " + res.Vantage
		}
		tc := junitTestcase{Classname: res.Target, Name: name, Time: seconds(res.DurationMillis)}
		fillCase(&tc, res, byCheck[res.ID])
		suite.Cases = append(suite.Cases, tc)
		total += res.DurationMillis
		if !res.Started.IsZero() && (first.IsZero() || res.Started.Before(first)) {
			first = res.Started
		}
	}
	for _, f := range orphans {
		tc := junitTestcase{Classname: firstNonEmpty(f.Target, "kubectl-netcheck"), Name: "diagnosis " + f.ID, Time: "0.000"}
		fillCase(&tc, v1alpha1.CheckResult{Status: v1alpha1.StatusPass}, []v1alpha1.Finding{f})
		suite.Cases = append(suite.Cases, tc)
	}
	for _, tc := range suite.Cases {
		suite.Tests++
		switch {
		case tc.Failure != nil:
			suite.Failures++
		case tc.Error != nil:
			suite.Errors++
		case tc.Skipped != nil:
			suite.Skipped++
		}
	}
	suite.Time = seconds(total)
	if !first.IsZero() {
		suite.Timestamp = first.UTC().Format(time.RFC3339)
	}
	return junitTestsuites{Name: "kubectl-netcheck", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitTestsuite{suite}}
}

func fillCase(tc *junitTestcase, res v1alpha1.CheckResult, findings []v1alpha1.Finding) {
	var faults, inconclusive, other []v1alpha1.Finding
	for _, f := range findings {
		switch {
		case f.Severity == v1alpha1.SeverityFault:
			faults = append(faults, f)
		case inconclusiveFinding[f.ID]:
			inconclusive = append(inconclusive, f)
		default:
			other = append(other, f)
		}
	}
	switch {
	case len(faults) > 0:
		tc.Failure = &junitResult{Message: faults[0].ID + ": " + faults[0].Summary, Type: faults[0].ID, Body: findingsText(faults)}
	case res.Status == v1alpha1.StatusError:
		tc.Error = &junitResult{Message: firstNonEmpty(res.Error, res.Summary), Type: "check-error", Body: findingsText(inconclusive)}
	case len(inconclusive) > 0:
		tc.Error = &junitResult{Message: inconclusive[0].ID + ": " + inconclusive[0].Summary, Type: inconclusive[0].ID,
			Body: findingsText(inconclusive)}
	case res.Status == v1alpha1.StatusSkip:
		tc.Skipped = &junitResult{Message: firstNonEmpty(res.Summary, "skipped")}
	}
	out := res.Summary
	if len(other) > 0 {
		out = strings.TrimSpace(out + "\n" + findingsText(other))
	}
	if out != "" {
		tc.SystemOut = &junitText{Text: out}
	}
}

// findingsText is the plain-text body of findings: ID, summary, hop, evidence, fix.
func findingsText(fs []v1alpha1.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", f.Severity, f.ID, f.Summary)
		if f.Hop != "" {
			fmt.Fprintf(&b, "hop: %s\n", f.Hop)
		}
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "evidence: %s\n", e)
		}
		fmt.Fprintf(&b, "fix: %s\n", f.Fix)
	}
	return b.String()
}

func seconds(ms float64) string { return strconv.FormatFloat(ms/1000, 'f', 3, 64) }
