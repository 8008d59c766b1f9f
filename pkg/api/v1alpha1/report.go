package v1alpha1

// Report is what the plugin prints with -o json|yaml: what was resolved, every
// check result, the findings and the verdict.
type Report struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`

	Source  Source   `json:"source"`
	Targets []Target `json:"targets,omitempty"`
	// Nodes are the API facts of every node the run involved (see nodes.go);
	// node-mode diagnosis compares them with what the node agents read.
	Nodes []NodeFacts `json:"nodes,omitempty"`
	// Mode is "pod" (ephemeral agent in the source pod), "node" (node debug pod)
	// or "pod+node" (both: the node view added after a failure or for --deep);
	// ModeReason says why that mode ran.
	Mode       string        `json:"mode"`
	ModeReason string        `json:"modeReason,omitempty"`
	Results    []CheckResult `json:"results"`
	Findings   []Finding     `json:"findings,omitempty"`
	Verdict    Verdict       `json:"verdict"`
}

// Source is the resolved source pod.
type Source struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	// From says how the pod was picked, e.g. "deploy/web (ready pod web-5d9f-abcde)".
	From       string      `json:"from,omitempty"`
	Node       string      `json:"node"`
	PodIPs     []string    `json:"podIPs"`
	Containers []Container `json:"containers,omitempty"`
}

// Container is one container of a resolved pod.
type Container struct {
	Name  string `json:"name"`
	ID    string `json:"id,omitempty"`
	State string `json:"state"`
	Image string `json:"image,omitempty"`
}

// Target is one resolved --to target.
type Target struct {
	// Spec is what the user typed, e.g. "svc/web:http".
	Spec string `json:"spec"`
	// Kind is "service", "pod", "ip", "host" or "dns".
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// IPs are the addresses connected to (ClusterIP, pod IP, literal IP, resolved host).
	IPs      []string   `json:"ips,omitempty"`
	Port     int        `json:"port,omitempty"`
	PortName string     `json:"portName,omitempty"`
	Protocol string     `json:"protocol,omitempty"`
	Node     string     `json:"node,omitempty"`
	Pod      string     `json:"pod,omitempty"`
	Endpoint []Endpoint `json:"endpoints,omitempty"`

	// Service facts that are findings by themselves (no backends, a selector that
	// matches nothing, a targetPort no container declares).
	Selector     map[string]string `json:"selector,omitempty"`
	SelectedPods int               `json:"selectedPods,omitempty"`
	// TargetPort is the Service's targetPort as written ("http" or "8080").
	TargetPort string `json:"targetPort,omitempty"`
	// UndeclaredPortPods are selected pods none of whose containers declare TargetPort.
	UndeclaredPortPods []string `json:"undeclaredPortPods,omitempty"`
}

// Endpoint is one backend of a Service target.
type Endpoint struct {
	IP    string `json:"ip"`
	Port  int    `json:"port"`
	Ready bool   `json:"ready"`
	Pod   string `json:"pod,omitempty"`
	Node  string `json:"node,omitempty"`
}

// Severity ranks findings.
type Severity string

const (
	// SeverityFault: the network is broken for this path.
	SeverityFault Severity = "fault"
	// SeverityWarning: suspicious; might explain symptoms but did not break the checks.
	SeverityWarning Severity = "warning"
	// SeverityInfo: context worth knowing.
	SeverityInfo Severity = "info"
)

// Finding is one diagnosed cause with its evidence and fix. IDs are stable and
// listed in the catalogue (kubectl netcheck explain ID).
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Target   string   `json:"target,omitempty"`
	// Hop names where packets die or the fault sits, e.g. "pod web-1 (node k8slab-node2)".
	Hop      string   `json:"hop,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	Fix      string   `json:"fix"`
	// CheckIDs are the results this finding was derived from.
	CheckIDs []string `json:"checkIDs,omitempty"`
}

// VerdictStatus is the overall outcome; it maps onto the exit code.
type VerdictStatus string

const (
	VerdictOK           VerdictStatus = "ok"
	VerdictFault        VerdictStatus = "fault"
	VerdictInconclusive VerdictStatus = "inconclusive"
)

// Verdict is the overall outcome of a run.
type Verdict struct {
	Status  VerdictStatus `json:"status"`
	Summary string        `json:"summary"`
	// ExitCode is the process exit code this verdict maps to.
	ExitCode int `json:"exitCode"`
}

// Exit codes, documented in --help and the README.
const (
	ExitOK           = 0
	ExitFault        = 1
	ExitInconclusive = 2
	ExitCouldNotRun  = 3
)
