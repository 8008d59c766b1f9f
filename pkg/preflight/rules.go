// Package preflight asks the API server, before anything is created, whether
// the user may make every call a run needs (one SelfSubjectAccessReview per
// rule, in parallel), and turns the denials into one error that names each
// missing verb, resource and namespace and points at deploy/rbac.yaml.
//
// Rules is pure: what a run calls follows from what the user asked for. It
// lists only the calls a run cannot do without. Calls the code already
// tolerates being forbidden are left out, because each one degrades with its
// own warning: listing kube-system's endpointslices (DNS is then checked
// through resolv.conf only), listing pods in all namespaces (to name the pod
// behind a bare IP target), and the follow-up agent inside a refusing backend
// pod in another namespace (its result then says it could not run).
package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// Rule is one API call a run makes, as the RBAC authorizer sees it.
type Rule struct {
	Verb        string
	Group       string // "" is the core group
	Resource    string // plural, e.g. "pods"
	Subresource string // e.g. "ephemeralcontainers"
	Namespace   string // "" for cluster-scoped resources
	// Why names the step of the run that makes the call.
	Why string
}

// ResourceName is "pods/ephemeralcontainers" or "deployments.apps".
func (r Rule) ResourceName() string {
	s := r.Resource
	if r.Group != "" {
		s += "." + r.Group
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	return s
}

// String reads `"patch" pods/ephemeralcontainers in namespace shop`.
func (r Rule) String() string {
	where := "cluster-wide"
	if r.Namespace != "" {
		where = "in namespace " + r.Namespace
	}
	return fmt.Sprintf("%q %s %s", r.Verb, r.ResourceName(), where)
}

// CanI is the `kubectl auth can-i` command that checks r.
func (r Rule) CanI() string {
	res := r.Resource
	if r.Group != "" {
		res += "." + r.Group
	}
	s := "kubectl auth can-i " + r.Verb + " " + res
	if r.Subresource != "" {
		s += " --subresource=" + r.Subresource
	}
	if r.Namespace != "" {
		s += " -n " + r.Namespace
	}
	return s
}

func (r Rule) key() string {
	return strings.Join([]string{r.Verb, r.Group, r.Resource, r.Subresource, r.Namespace}, "|")
}

// Mode is where the probe runs.
type Mode string

const (
	// ModePod: an ephemeral container in the source pod (the default).
	ModePod Mode = "pod"
	// ModeNode: a privileged hostNetwork/hostPID pod per node, in NodeNamespace.
	ModeNode Mode = "node"
)

// Input is what a run touches, reduced to what decides its API calls.
type Input struct {
	// Mode is ModePod when empty.
	Mode Mode
	// SourceNamespace holds the source pod (resolved by name or through its
	// Deployment); "" when the run has no source pod.
	SourceNamespace  string
	SourceDeployment bool
	// ServiceNamespaces and PodNamespaces hold svc/ and pod/ targets.
	ServiceNamespaces []string
	PodNamespaces     []string
	// NodeNamespace is where node mode creates its pods.
	NodeNamespace string
}

// ForRun is the Input of `kubectl netcheck SOURCE --to TARGET...` in pod mode;
// namespace is the -n namespace that unqualified names live in.
func ForRun(namespace string, src target.Source, targets []target.Spec) Input {
	in := Input{Mode: ModePod, SourceNamespace: or(src.Namespace, namespace), SourceDeployment: src.Kind == target.SourceDeployment}
	for _, t := range targets {
		switch t.Kind {
		case target.KindService:
			in.ServiceNamespaces = append(in.ServiceNamespaces, or(t.Namespace, namespace))
		case target.KindPod:
			in.PodNamespaces = append(in.PodNamespaces, or(t.Namespace, namespace))
		}
	}
	return in
}

// Rules are the calls a run with in needs, each once, in the order the run
// makes them: the source, the targets, then the agent.
func Rules(in Input) []Rule {
	var out []Rule
	add := func(verb, group, resource, sub, ns, why string) {
		out = append(out, Rule{Verb: verb, Group: group, Resource: resource, Subresource: sub, Namespace: ns, Why: why})
	}
	if ns := in.SourceNamespace; ns != "" {
		if in.SourceDeployment {
			add("get", "apps", "deployments", "", ns, "read the source deployment")
			add("list", "", "pods", "", ns, "pick a ready pod of the source deployment")
		} else {
			add("get", "", "pods", "", ns, "read the source pod")
		}
	}
	for _, ns := range in.ServiceNamespaces {
		add("get", "", "services", "", ns, "resolve a target service")
		add("list", "discovery.k8s.io", "endpointslices", "", ns, "list a target service's endpoints")
		add("list", "", "pods", "", ns, "count the pods a target service selects")
	}
	for _, ns := range in.PodNamespaces {
		add("get", "", "pods", "", ns, "resolve a target pod")
	}
	switch in.Mode {
	case ModeNode:
		ns := in.NodeNamespace
		add("get", "", "nodes", "", "", "check the node before pinning a pod to it")
		add("create", "", "pods", "", ns, "create the node pod")
		add("list", "", "pods", "", ns, "follow the node pod until it runs")
		add("watch", "", "pods", "", ns, "follow the node pod until it runs")
		add("create", "", "pods", "exec", ns, "run the checks in the node pod")
		add("delete", "", "pods", "", ns, "remove the node pod when done")
	default:
		if ns := in.SourceNamespace; ns != "" {
			add("patch", "", "pods", "ephemeralcontainers", ns, "add the probe to the source pod as an ephemeral container")
			add("list", "", "pods", "", ns, "follow the probe container until it runs")
			add("watch", "", "pods", "", ns, "follow the probe container until it runs")
			add("create", "", "pods", "exec", ns, "run the checks in the probe container")
		}
	}
	return Merge(out)
}

// Merge concatenates rule lists (say, of every check in a suite) keeping the
// first of each distinct call, in order.
func Merge(lists ...[]Rule) []Rule {
	var out []Rule
	seen := map[string]bool{}
	for _, l := range lists {
		for _, r := range l {
			if seen[r.key()] {
				continue
			}
			seen[r.key()] = true
			out = append(out, r)
		}
	}
	return out
}

// Namespaces lists the namespaces rules touch, sorted, for the fix line.
func Namespaces(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		if r.Namespace != "" && !slices.Contains(out, r.Namespace) {
			out = append(out, r.Namespace)
		}
	}
	slices.Sort(out)
	return out
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
