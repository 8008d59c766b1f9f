//go:build e2e

// Package e2e holds the end-to-end tests that run against the local two-node
// lab cluster (`make cluster-up`); see e2e/README.md.
package e2e

import (
	"os"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
)

func TestMain(m *testing.M) { os.Exit(framework.Main(m)) }
