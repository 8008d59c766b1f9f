package v1alpha1

// Kinds of the suite objects: the file `kubectl netcheck -f` reads, and the
// report it prints with -o json|yaml.
const (
	KindCheckSuite  = "CheckSuite"
	KindSuiteReport = "SuiteReport"
)

// CheckSuite is a suite file: a list of checks, each with an expectation, run
// one after the other; the process exits by the combined result. It carries
// both json and yaml tags because it is read with a strict YAML decoder
// (unknown fields are errors with their line) and printed back as JSON.
type CheckSuite struct {
	APIVersion string       `json:"apiVersion" yaml:"apiVersion"`
	Kind       string       `json:"kind" yaml:"kind"`
	Metadata   SuiteMeta    `json:"metadata,omitempty" yaml:"metadata,omitempty"`
	Checks     []SuiteCheck `json:"checks" yaml:"checks"`
}

// SuiteMeta names the suite (the JUnit testsuites name).
type SuiteMeta struct {
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
}

// SuiteCheck is one check of a suite: what `kubectl netcheck SOURCE --to
// TARGET... --count N` would run, plus what the result must be.
type SuiteCheck struct {
	// Name is unique within the suite; it names the check in every output.
	Name string `json:"name" yaml:"name"`
	// Source uses the SOURCE syntax: NAME, pod/NAME, pod/NS/NAME, deploy/NAME.
	Source string `json:"source" yaml:"source"`
	// Namespace is the -n of this check (source and unqualified targets); "" is
	// the namespace of the command line or kubeconfig.
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// Targets use the --to syntax.
	Targets []string `json:"targets" yaml:"targets"`
	// Count is the TCP connects per address (--count); 0 is the default.
	Count int `json:"count,omitempty" yaml:"count,omitempty"`
	// Expect is "reachable" (the default) or "blocked".
	Expect Expectation `json:"expect,omitempty" yaml:"expect,omitempty"`
}

// Expectation is what a suite check asserts about each of its targets.
type Expectation string

const (
	// ExpectReachable: the target passes netcheck's diagnosis, no fault finding about it.
	ExpectReachable Expectation = "reachable"
	// ExpectBlocked: no TCP connect to any address of the target succeeds:
	// every attempt is refused, times out or is unreachable.
	ExpectBlocked Expectation = "blocked"
)

// Outcome is how an expectation fared, for one target, one check or the suite.
type Outcome string

const (
	OutcomeMet          Outcome = "met"
	OutcomeFailed       Outcome = "failed"
	OutcomeInconclusive Outcome = "inconclusive"
	// OutcomeCouldNotRun: the check's run did not happen (missing pod, ...).
	OutcomeCouldNotRun Outcome = "could-not-run"
)

// SuiteReport is what `kubectl netcheck -f` prints with -o json|yaml: every
// check's expectation outcome per target, its full report, and the combined result.
type SuiteReport struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Name       string             `json:"name,omitempty"`
	Checks     []SuiteCheckReport `json:"checks"`
	Result     SuiteResult        `json:"result"`
}

// SuiteCheckReport is one check of the suite as it ran.
type SuiteCheckReport struct {
	Name      string      `json:"name"`
	Source    string      `json:"source"`
	Namespace string      `json:"namespace,omitempty"`
	Expect    Expectation `json:"expect"`
	Outcome   Outcome     `json:"outcome"`
	// Summary is one line: the first violated expectation, or why it is inconclusive.
	Summary string `json:"summary"`
	// Error is set when the check could not run; Report is nil then.
	Error   string          `json:"error,omitempty"`
	Targets []TargetOutcome `json:"targets"`
	Report  *Report         `json:"report,omitempty"`
}

// TargetOutcome is the expectation judged for one target of one check.
type TargetOutcome struct {
	// Target is the target as written in the suite.
	Target  string  `json:"target"`
	Outcome Outcome `json:"outcome"`
	// Message says why: the finding that broke a reachable path, the address
	// that connected although it should be blocked, or the closed addresses.
	Message string `json:"message"`
	// FindingIDs are the fault findings about this target (reachable), if any.
	FindingIDs []string `json:"findingIDs,omitempty"`
}

// SuiteResult is the combined outcome and the process exit code.
type SuiteResult struct {
	Outcome  Outcome `json:"outcome"`
	Summary  string  `json:"summary"`
	ExitCode int     `json:"exitCode"`
}
