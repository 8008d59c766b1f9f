package kube

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// APIOp is implemented by errors that know which namespaced subresource their
// request went to (launch.PatchError), so a bare 404 can be told apart from a
// missing object.
type APIOp interface {
	Namespace() string
	Subresource() string
}

// RequiredRBAC is what the plugin needs in the source pod's namespace (and the
// target namespaces); printed with every permission error.
const RequiredRBAC = "get,list,watch pods; get services, apps deployments; list discovery.k8s.io endpointslices; " +
	"patch pods/ephemeralcontainers; create pods/exec; list kube-system endpointslices (for DNS); " +
	"node mode: create,delete pods in --node-namespace, list pods and get nodes cluster-wide; deploy/rbac.yaml has these Roles"

var (
	forbiddenRE = regexp.MustCompile(`(?:User|user) "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?`)
	psaRE       = regexp.MustCompile(`violates PodSecurity "([a-z]+):([^"]+)": (.*)`)
)

// IsPodSecurityRejection: err is the Pod Security admission refusing a pod.
func IsPodSecurityRejection(err error) bool {
	return apierrors.IsForbidden(err) && psaRE.MatchString(err.Error())
}

// Explain rewrites err into one line that says what the user must do. Errors it
// does not recognise come back unchanged (they already carry their context).
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var op APIOp
	hasOp := errors.As(err, &op)
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("timed out: %w", err)
		}
		return err
	}
	msg := status.Status().Message
	switch {
	case apierrors.IsForbidden(err) && psaRE.MatchString(msg):
		m := psaRE.FindStringSubmatch(msg)
		ns := "NAMESPACE"
		if hasOp {
			ns = op.Namespace()
		}
		if w, ok := op.(interface{ Workload() string }); hasOp && ok && w.Workload() == "node pod" {
			return fmt.Errorf("the Pod Security admission rejected the node pod: namespace %s enforces the %q level (version %s): %s. "+
				"The node pod needs hostNetwork, hostPID and a privileged container, which only the \"privileged\" level allows: "+
				"`kubectl label namespace %s pod-security.kubernetes.io/enforce=privileged --overwrite`, "+
				"or run it in a namespace that allows it with --node-namespace",
				ns, m[1], m[2], m[3], ns)
		}
		return fmt.Errorf("the Pod Security admission rejected the agent: namespace %s enforces the %q level (version %s): %s. "+
			"The agent needs NET_RAW and NET_ADMIN as root, which only the \"privileged\" level allows: "+
			"`kubectl label namespace %s pod-security.kubernetes.io/enforce=privileged --overwrite`, "+
			"or exempt your user in the PodSecurity admission configuration, or check from the node (node mode)",
			ns, m[1], m[2], m[3], ns)
	case apierrors.IsForbidden(err):
		if m := forbiddenRE.FindStringSubmatch(msg); m != nil {
			user, verb, resource, group, ns := m[1], m[2], m[3], m[4], m[5]
			// can-i reads "pods/ephemeralcontainers" as the pod named
			// ephemeralcontainers: a subresource goes in its own flag.
			base, sub, isSub := strings.Cut(resource, "/")
			if group != "" {
				resource, base = resource+"."+group, base+"."+group
			}
			canI := base
			if isSub {
				canI += " --subresource=" + sub
			}
			where := "cluster-wide"
			if ns != "" {
				where = "in namespace " + ns
			}
			return fmt.Errorf("permission denied: %s may not %s %s %s; ask for a Role that grants %q on %q "+
				"(check with `kubectl auth can-i %s %s%s`). kubectl netcheck needs: %s",
				user, verb, resource, where, verb, resource, verb, canI, nsFlag(ns), RequiredRBAC)
		}
		return fmt.Errorf("permission denied: %s. kubectl netcheck needs: %s", msg, RequiredRBAC)
	case apierrors.IsNotFound(err) && hasOp && op.Subresource() == "ephemeralcontainers" && notFoundIsRoute(status):
		return fmt.Errorf("this cluster does not support ephemeral containers (the pods/ephemeralcontainers " +
			"subresource is missing; Kubernetes 1.25 or newer has it): check from the node (node mode) instead")
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server rejected your credentials (401): log in again, or check --kubeconfig/--context: %w", err)
	case apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
		return fmt.Errorf("the API server timed out: %w", err)
	}
	return err
}

// notFoundIsRoute tells "no such API path" (the subresource does not exist:
// the status names no object) from "no such pod".
func notFoundIsRoute(status apierrors.APIStatus) bool {
	d := status.Status().Details
	return d == nil || d.Name == ""
}

func nsFlag(ns string) string {
	if ns == "" {
		return ""
	}
	return " -n " + ns
}

// IsContextError reports whether err is a cancellation or deadline, which the
// CLI reports as "interrupted" or "timed out" rather than as an API problem.
func IsContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(fmt.Sprint(err), "context canceled")
}
