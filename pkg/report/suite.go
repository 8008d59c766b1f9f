package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// SuiteFormats are the -o values a suite (-f) prints; ndjson has no meaning
// for several runs in a row.
func SuiteFormats() []string { return []string{"table", "json", "yaml", "junit"} }

// PrintSuite writes the suite report in format: table (each check's report,
// then one row per check and target with its expectation outcome, then the
// result line), json, yaml or junit (one testsuite per check, one testcase
// per target).
func PrintSuite(w io.Writer, format string, s *v1alpha1.SuiteReport) error {
	if s == nil {
		return fmt.Errorf("print suite report: no report")
	}
	var err error
	switch format {
	case "", "table":
		err = printSuiteTable(w, s)
	case "json":
		var b []byte
		if b, err = json.MarshalIndent(s, "", "  "); err == nil {
			_, err = w.Write(append(b, '\n'))
		}
	case "yaml":
		var b []byte
		if b, err = yaml.Marshal(s); err == nil {
			_, err = w.Write(b)
		}
	case "junit":
		err = printSuiteJUnit(w, s)
	default:
		return fmt.Errorf("print suite report: unknown output format %q (want one of %s)", format, strings.Join(SuiteFormats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("print suite report as %s: %w", firstNonEmpty(format, "table"), err)
	}
	return nil
}

func printSuiteTable(w io.Writer, s *v1alpha1.SuiteReport) error {
	var b strings.Builder
	for i, c := range s.Checks {
		fmt.Fprintf(&b, "=== CHECK %d/%d %s: expect %s: %s\n", i+1, len(s.Checks), c.Name, c.Expect, strings.ToUpper(string(c.Outcome)))
		if c.Report == nil {
			fmt.Fprintf(&b, "could not run: %s\n\n", oneLine(c.Error))
			continue
		}
		writeSource(&b, c.Report)
		if err := writeResults(&b, c.Report); err != nil {
			return err
		}
		writeFindings(&b, c.Report.Findings)
		// The diagnosis, not the verdict: for an expected-blocked path a fault is the point.
		fmt.Fprintf(&b, "\nDIAGNOSIS  %s\n\n", oneLine(c.Report.Verdict.Summary))
	}
	title := "SUITE"
	if s.Name != "" {
		title += " " + s.Name
	}
	b.WriteString(title + "\n")
	tw := tabwriter.NewWriter(&b, 6, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tTARGET\tEXPECT\tOUTCOME\tMESSAGE")
	for _, c := range s.Checks {
		for _, t := range c.Targets {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ellipsize(c.Name, 30), ellipsize(t.Target, 30), c.Expect,
				strings.ToUpper(string(t.Outcome)), ellipsize(oneLine(t.Message), 60))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// One unwrapped line, like VERDICT: CI logs grep for it.
	fmt.Fprintf(&b, "\nRESULT  %s: %s (exit %d)\n", strings.ToUpper(string(s.Result.Outcome)), oneLine(s.Result.Summary), s.Result.ExitCode)
	_, err := io.WriteString(w, b.String())
	return err
}

func printSuiteJUnit(w io.Writer, s *v1alpha1.SuiteReport) error {
	doc := buildSuiteJUnit(s)
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

// buildSuiteJUnit: one testsuite per check, one testcase per target named
// "TARGET is EXPECTATION". A violated expectation is a <failure> whose message
// names the finding (reachable) or the address that connected (blocked); an
// inconclusive target or a check that could not run is an <error>.
func buildSuiteJUnit(s *v1alpha1.SuiteReport) junitTestsuites {
	doc := junitTestsuites{Name: firstNonEmpty(s.Name, "kubectl-netcheck suite")}
	var total float64
	for _, c := range s.Checks {
		suite := junitTestsuite{
			Name: c.Name,
			Properties: []junitProperty{
				{Name: "source", Value: c.Source},
				{Name: "namespace", Value: c.Namespace},
				{Name: "expect", Value: string(c.Expect)},
				{Name: "outcome", Value: string(c.Outcome)},
			},
		}
		var ms float64
		var diagnosis string
		var findings []v1alpha1.Finding
		if c.Report != nil {
			for _, r := range c.Report.Results {
				ms += r.DurationMillis
			}
			diagnosis = c.Report.Verdict.Summary
			findings = c.Report.Findings
			suite.Properties = append(suite.Properties, junitProperty{Name: "diagnosis", Value: diagnosis})
		}
		for _, t := range c.Targets {
			tc := junitTestcase{Classname: c.Name, Name: t.Target + " is " + string(c.Expect), Time: "0.000"}
			body := strings.TrimSpace(t.Message + "\n" + findingsText(findingsByID(findings, t.FindingIDs)))
			switch t.Outcome {
			case v1alpha1.OutcomeFailed:
				typ := "expectation-" + string(c.Expect)
				if len(t.FindingIDs) > 0 {
					typ = t.FindingIDs[0]
				}
				tc.Failure = &junitResult{Message: oneLine(t.Message), Type: typ, Body: body}
			case v1alpha1.OutcomeInconclusive, v1alpha1.OutcomeCouldNotRun:
				tc.Error = &junitResult{Message: oneLine(t.Message), Type: string(t.Outcome), Body: body}
			default:
				tc.SystemOut = &junitText{Text: strings.TrimSpace(t.Message + "\n" + diagnosis)}
			}
			suite.Cases = append(suite.Cases, tc)
			suite.Tests++
			switch {
			case tc.Failure != nil:
				suite.Failures++
			case tc.Error != nil:
				suite.Errors++
			}
		}
		suite.Time = seconds(ms)
		total += ms
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	doc.Time = seconds(total)
	return doc
}

func findingsByID(all []v1alpha1.Finding, ids []string) []v1alpha1.Finding {
	var out []v1alpha1.Finding
	for _, f := range all {
		for _, id := range ids {
			if f.ID == id {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
