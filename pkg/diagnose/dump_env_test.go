package diagnose

import (
	"os"
	"testing"
)

// NETCHECK_DUMP_FINDINGS=1 go test ./pkg/diagnose -run X -v prints every
// diagnosed finding: how a rule's output reads is part of its review.
func init() {
	if os.Getenv("NETCHECK_DUMP_FINDINGS") != "" {
		dumpHook = func(t *testing.T, s string) { t.Helper(); t.Log("\n" + s) }
	}
}
