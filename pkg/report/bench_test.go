package report

import (
	"io"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// BenchmarkDiagnoseAndPrint measures the end of a run: diagnosing a report of
// ~20 results with several faults and rendering it, per output format.
func BenchmarkDiagnoseAndPrint(b *testing.B) {
	base := fx.Busy()
	if len(base.Results) < 19 {
		b.Fatalf("fixture has %d results, want about 20", len(base.Results))
	}
	for _, format := range []string{"table", "json", "yaml", "junit"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := *base
				r.Findings = diagnose.Diagnose(&r)
				r.Verdict = diagnose.Decide(&r)
				if err := Print(io.Discard, format, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDiagnose isolates the rules from rendering.
func BenchmarkDiagnose(b *testing.B) {
	r := fx.Busy()
	b.ReportAllocs()
	for b.Loop() {
		if len(diagnose.Diagnose(r)) == 0 {
			b.Fatal("no findings")
		}
	}
}
