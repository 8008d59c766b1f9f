package preflight

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// authorizer plays the API server for SelfSubjectAccessReviews: it allows
// every call except those in deny, and names the user for SelfSubjectReviews.
func authorizer(user string, deny ...Rule) (*fake.Clientset, *atomic.Int32) {
	client := fake.NewClientset()
	var reviews atomic.Int32
	client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		reviews.Add(1)
		review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		attrs := review.Spec.ResourceAttributes
		asked := Rule{Verb: attrs.Verb, Group: attrs.Group, Resource: attrs.Resource, Subresource: attrs.Subresource, Namespace: attrs.Namespace}
		out := review.DeepCopy()
		out.Status.Allowed = true
		for _, d := range deny {
			if d.key() == asked.key() {
				out.Status.Allowed = false
				out.Status.Reason = "no RBAC policy matched"
			}
		}
		return true, out, nil
	})
	client.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: user}}}, nil
	})
	return client, &reviews
}

func podRun() []Rule {
	return Rules(Input{SourceNamespace: "shop", ServiceNamespaces: []string{"shop"}})
}

func TestCheckAllowed(t *testing.T) {
	client, reviews := authorizer("jane")
	if err := Check(context.Background(), client, podRun()); err != nil {
		t.Fatalf("all allowed: %v", err)
	}
	if n := int(reviews.Load()); n != len(podRun()) {
		t.Errorf("%d reviews for %d rules", n, len(podRun()))
	}
}

func TestCheckNamesEveryDenial(t *testing.T) {
	client, _ := authorizer("system:serviceaccount:shop:ci",
		call("patch", "", "pods", "ephemeralcontainers", "shop"), call("watch", "", "pods", "", "shop"))
	err := Check(context.Background(), client, podRun())
	var denied *DeniedError
	if !errors.As(err, &denied) {
		t.Fatalf("error %v, want a *DeniedError", err)
	}
	if len(denied.Denials) != 2 || denied.User != "system:serviceaccount:shop:ci" || denied.Denials[0].Reason != "no RBAC policy matched" {
		t.Errorf("denials %+v", denied)
	}
	msg := err.Error()
	for _, want := range []string{
		"permission denied: system:serviceaccount:shop:ci may not ",
		`"patch" pods/ephemeralcontainers in namespace shop (to add the probe to the source pod as an ephemeral container)`,
		`"watch" pods in namespace shop (to follow the probe container until it runs)`,
		"nothing was created", "deploy/rbac.yaml", "in namespace shop",
		"`kubectl auth can-i patch pods --subresource=ephemeralcontainers -n shop`",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
}

func TestCheckWithoutUserName(t *testing.T) {
	client, _ := authorizer("", call("get", "", "services", "", "shop"))
	err := Check(context.Background(), client, podRun())
	if err == nil || !strings.HasPrefix(err.Error(), `permission denied: you may not "get" services in namespace shop`) {
		t.Errorf("error %v", err)
	}
}

func TestCheckReviewFails(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	err := Check(context.Background(), client, podRun())
	var denied *DeniedError
	if err == nil || errors.As(err, &denied) || !strings.Contains(err.Error(), "connection refused") ||
		!strings.Contains(err.Error(), "--preflight=false") {
		t.Errorf("error %v: want the review failure, with the way to skip it", err)
	}
}
