package plugin

import (
	"errors"
	"fmt"
	"io"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ExitError carries the process exit code for main. A verdict exit (fault,
// inconclusive) is silent: the report already said everything.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// HandleError prints err once (kubectl style, "error: ...") unless it is a silent
// verdict exit, and returns the exit code: 0 ok, 1 fault, 2 inconclusive, 3 could
// not run. Every error that is not a verdict means the run could not happen.
func HandleError(w io.Writer, err error) int {
	if err == nil {
		return v1alpha1.ExitOK
	}
	code := v1alpha1.ExitCouldNotRun
	var exit *ExitError
	if errors.As(err, &exit) {
		code = exit.Code
		if exit.Silent {
			return code
		}
	}
	fmt.Fprintf(w, "error: %v\n", err)
	return code
}

// verdictExit maps a report's verdict onto the exit code, trusting the verdict's
// own code and falling back to its status.
func verdictExit(v v1alpha1.Verdict) error {
	code := v.ExitCode
	if code == v1alpha1.ExitOK {
		switch v.Status {
		case v1alpha1.VerdictFault:
			code = v1alpha1.ExitFault
		case v1alpha1.VerdictInconclusive:
			code = v1alpha1.ExitInconclusive
		}
	}
	if code == v1alpha1.ExitOK {
		return nil
	}
	return &ExitError{Code: code, Silent: true, Err: fmt.Errorf("verdict %s: %s", v.Status, v.Summary)}
}
