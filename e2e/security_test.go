//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The PodSecurity admission plugin is really on: a namespace enforcing
// `restricted` rejects a privileged pod, and the rejection names the policy.
func TestClusterPodSecurityRestrictedRejectsPrivileged(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "psa", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	ctx := framework.Context(t, 30*time.Second)

	privileged := true
	pod := framework.EchoPod("privileged", lab.Node1.Name)
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &privileged}
	_, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("create privileged pod in a restricted namespace: err = %v, want Forbidden", err)
	}
	if !strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
		t.Errorf("rejection does not come from PodSecurity: %v", err)
	}
}

// RBAC is really enforced: a ServiceAccount whose Role only reads pods is
// Forbidden to patch pods/ephemeralcontainers, while its reads work.
func TestClusterNarrowRoleForbiddenToPatchEphemeralContainers(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "rbac", nil)
	target := c.CreatePod(t, ns, framework.EchoPod("target", lab.Node1.Name))
	ctx := framework.Context(t, time.Minute)

	sa, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "narrow"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := c.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "narrow-reads-pods"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: ns}},
	}
	if _, err := c.Client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	narrowCfg := rest.AnonymousClientConfig(c.Config)
	narrowCfg.BearerToken = tok.Status.Token
	narrow, err := kubernetes.NewForConfig(narrowCfg)
	if err != nil {
		t.Fatal(err)
	}

	// RBAC bindings reach the authorizer's cache within moments; poll the read.
	var pod *corev1.Pod
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if pod, err = narrow.CoreV1().Pods(ns).Get(ctx, target.Name, metav1.GetOptions{}); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the narrow role cannot even read the pod (test setup is wrong): %v", err)
	}
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: lab.EchoImage, ImagePullPolicy: corev1.PullNever, Args: []string{"-idle"}},
	})
	_, err = narrow.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, pod.Name, pod, metav1.UpdateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("update ephemeralcontainers as %s: err = %v, want Forbidden", sa.Name, err)
	}
	if !strings.Contains(err.Error(), "pods/ephemeralcontainers") {
		t.Errorf("Forbidden does not name the subresource: %v", err)
	}
	if _, err := c.Kubectl(ctx, "auth", "can-i", "patch", "pods", "--subresource=ephemeralcontainers", "-n", ns, "--as=system:serviceaccount:"+ns+":"+sa.Name); err == nil {
		t.Error("kubectl auth can-i says the narrow account may patch ephemeralcontainers")
	}
}
