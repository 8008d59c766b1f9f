package preflight

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// RBACFile is where the least-privilege Roles live, named in every denial.
const RBACFile = "deploy/rbac.yaml"

// Denial is one rule the API server did not allow.
type Denial struct {
	Rule Rule
	// Reason is the authorizer's reason or evaluation error, when it gave one.
	Reason string
}

// DeniedError lists every rule a run needs and the user lacks.
type DeniedError struct {
	// User is the name the API server knows the caller by ("" if it would not say).
	User    string
	Denials []Denial
}

func (e *DeniedError) Error() string {
	who := "you"
	if e.User != "" {
		who = e.User
	}
	var parts []string
	var rules []Rule
	for _, d := range e.Denials {
		parts = append(parts, fmt.Sprintf("%s (to %s)", d.Rule, d.Rule.Why))
		rules = append(rules, d.Rule)
	}
	where := ""
	if ns := Namespaces(rules); len(ns) > 0 {
		where = " in namespace " + strings.Join(ns, ", ")
	}
	return fmt.Sprintf("permission denied: %s may not %s; nothing was created. Bind the Roles of %s (kubectl-netcheck's repository)%s "+
		"to %s, or ask your cluster admin to; check with `%s`",
		who, strings.Join(parts, ", "), RBACFile, where, who, e.Denials[0].Rule.CanI())
}

// Check asks the API server about every rule at once (one
// SelfSubjectAccessReview each, so impersonation with --as is honoured) and
// returns a *DeniedError naming all denied rules, or nil when all are allowed.
// Any other error means the reviews themselves failed.
func Check(ctx context.Context, client kubernetes.Interface, rules []Rule) error {
	if len(rules) == 0 {
		return nil
	}
	allowed := make([]bool, len(rules))
	reasons := make([]string, len(rules))
	var user string
	g, gctx := errgroup.WithContext(ctx)
	for i, r := range rules {
		g.Go(func() error {
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: r.Namespace, Verb: r.Verb, Group: r.Group, Resource: r.Resource, Subresource: r.Subresource,
				},
			}}
			got, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(gctx, review, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("preflight: ask the API server whether you may %s: %w (skip the check with --preflight=false)", r, err)
			}
			allowed[i] = got.Status.Allowed
			reasons[i] = firstNonEmpty(got.Status.Reason, got.Status.EvaluationError)
			return nil
		})
	}
	// Only to name the user in the error: a cluster without the API (before
	// 1.28) or a failure here leaves the name out, nothing else.
	g.Go(func() error {
		if r, err := client.AuthenticationV1().SelfSubjectReviews().Create(gctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{}); err == nil {
			user = r.Status.UserInfo.Username
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	denied := &DeniedError{User: user}
	for i, r := range rules {
		if !allowed[i] {
			denied.Denials = append(denied.Denials, Denial{Rule: r, Reason: reasons[i]})
		}
	}
	if len(denied.Denials) == 0 {
		return nil
	}
	return denied
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
