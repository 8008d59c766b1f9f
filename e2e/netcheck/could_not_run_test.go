//go:build e2e

package netcheck

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue #3: runs that cannot happen exit 3 with one line saying why, and
// leave nothing behind: no ephemeral container where none could be created,
// no pod anywhere.
func TestCouldNotRun(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "cannot", nil)
	psaNS := c.Namespace(t, "psa", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})

	pending := framework.EchoPod("pending", "", "-idle")
	pending.Spec.NodeSelector = map[string]string{"netcheck.e2e/no-such-node": "true"} // never scheduled
	completed := framework.EchoPod("completed", lab.Node1.Name, "-interfaces")         // prints and exits 0
	completed.Spec.RestartPolicy = corev1.RestartPolicyNever
	createOnly(t, c, ns, pending, completed)
	createReady(t, c, ns, framework.EchoPod("client", lab.Node1.Name, "-idle"))
	createReady(t, c, psaNS, restrictedPod("client", lab.Node1.Name))
	waitPhase(t, c, ns, "completed", corev1.PodSucceeded)
	narrow := narrowServiceAccount(t, c, ns)

	// An IP target needs no lookup, so a source that cannot be used is the
	// only thing that can fail (target and source resolve in parallel).
	dnsIP := lab.ClusterDNS + ":53"
	before := podNames(t, c, ns, psaNS)
	// Pods are stamped in whole seconds; anything netcheck made from here on is newer.
	started := time.Now().Truncate(time.Second)
	for _, tc := range []struct {
		name string
		args []string
		// words the error line must contain.
		words []string
		// onlyLine: nothing else is printed (the run failed before any progress).
		onlyLine bool
	}{
		{"bad target syntax", []string{"-n", ns, "client", "--to", "svc/Bad_Name"}, []string{`"svc/Bad_Name"`, "not a valid Service name"}, true},
		{"unknown target kind", []string{"-n", ns, "client", "--to", "deploy/web"}, []string{`"deploy/web"`, `unknown kind "deploy"`}, true},
		{"port out of range", []string{"-n", ns, "client", "--to", "svc/web:99999"}, []string{`"svc/web:99999"`, "out of range"}, true},
		{"missing pod", []string{"-n", ns, "no-such-pod", "--to", dnsIP}, []string{ns + "/no-such-pod", "not found"}, true},
		{"pod not scheduled", []string{"-n", ns, "pending", "--to", dnsIP}, []string{ns + "/pending", "Pending", "not Running"}, true},
		{"pod completed", []string{"-n", ns, "completed", "--to", dnsIP}, []string{ns + "/completed", "Succeeded", "not Running"}, true},
		{"no patch on pods/ephemeralcontainers", []string{"-n", ns, "client", "--to", dnsIP, "--as", narrow},
			// The preflight stops it before anything is printed or created.
			[]string{"permission denied", narrow, `"patch"`, "pods/ephemeralcontainers", "--subresource=ephemeralcontainers"}, true},
		{"namespace enforces PodSecurity restricted", []string{"-n", psaNS, "client", "--to", dnsIP},
			[]string{"Pod Security", `"restricted" level`, psaNS, "NET_RAW"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Netcheck(t, framework.Context(t, time.Minute), tc.args...)
			if res.ExitCode != v1alpha1.ExitCouldNotRun {
				t.Errorf("exit code %d, want %d", res.ExitCode, v1alpha1.ExitCouldNotRun)
			}
			if res.Stdout != "" {
				t.Errorf("stdout should be empty when nothing ran: %q", res.Stdout)
			}
			line := errorLine(t, res.Stderr)
			containsAll(t, "error line", line, tc.words...)
			if n := len(nonEmptyLines(res.Stderr)); tc.onlyLine && n != 1 {
				t.Errorf("%d lines on stderr, want the error line alone:\n%s", n, res.Stderr)
			}
		})
	}

	// Nothing left behind: no agent was added to the pods the runs could not
	// patch, and no pod was created or lost anywhere.
	for _, p := range []struct{ ns, name string }{{ns, "client"}, {psaNS, "client"}, {ns, "pending"}, {ns, "completed"}} {
		got, err := c.Client.CoreV1().Pods(p.ns).Get(framework.Context(t, 10*time.Second), p.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Spec.EphemeralContainers); n != 0 {
			t.Errorf("pod %s/%s got %d ephemeral containers from runs that failed", p.ns, p.name, n)
		}
	}
	if after := podNames(t, c, ns, psaNS); !slices.Equal(before, after) {
		t.Errorf("pods changed: before %v, after %v", before, after)
	}
	managed, err := c.Client.CoreV1().Pods("").List(framework.Context(t, 10*time.Second),
		metav1.ListOptions{LabelSelector: launch.ManagedByLabel + "=" + launch.ManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range managed.Items {
		if !p.CreationTimestamp.Time.Before(started) {
			t.Errorf("stray netcheck pod %s/%s", p.Namespace, p.Name)
		}
	}
}

// createOnly creates pods without waiting for them to become Ready.
func createOnly(t *testing.T, c *framework.Cluster, ns string, pods ...*corev1.Pod) {
	t.Helper()
	for _, p := range pods {
		if _, err := c.Client.CoreV1().Pods(ns).Create(framework.Context(t, 30*time.Second), p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod %s/%s: %v", ns, p.Name, err)
		}
	}
}

func waitPhase(t *testing.T, c *framework.Cluster, ns, name string, phase corev1.PodPhase) {
	t.Helper()
	ctx := framework.Context(t, time.Minute)
	for {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && p.Status.Phase == phase {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("pod %s/%s never reached %s (last: %v %v)", ns, name, phase, p.Status.Phase, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// restrictedPod is an echo pod that Pod Security "restricted" admits.
func restrictedPod(name, node string) *corev1.Pod {
	p := framework.EchoPod(name, node, "-idle")
	yes, no, nobody := true, false, int64(65534)
	p.Spec.SecurityContext = &corev1.PodSecurityContext{
		RunAsNonRoot: &yes, RunAsUser: &nobody,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	return p
}

// narrowServiceAccount creates a ServiceAccount whose Role reads everything
// netcheck reads and may exec, but may not patch pods/ephemeralcontainers, and
// returns its username for --as. It waits until RBAC lets it read pods, so the
// run fails on the patch and not on an authorizer cache still catching up.
func narrowServiceAccount(t *testing.T, c *framework.Cluster, ns string) string {
	t.Helper()
	ctx := framework.Context(t, time.Minute)
	sa, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "narrow"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "netcheck-without-patch"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "services"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
		},
	}
	if _, err := c.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "narrow"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: ns}},
	}
	if _, err := c.Client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := "system:serviceaccount:" + ns + ":" + sa.Name
	var last error
	for {
		if _, last = c.Kubectl(ctx, "auth", "can-i", "get", "pods", "-n", ns, "--as", user); last == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("RBAC never let %s read pods: %v", user, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
	if _, err := c.Kubectl(ctx, "auth", "can-i", "patch", "pods", "--subresource=ephemeralcontainers", "-n", ns, "--as", user); err == nil {
		t.Fatalf("%s may patch pods/ephemeralcontainers: the test setup is wrong", user)
	}
	return user
}

// podNames lists "ns/name" of every pod in the namespaces, sorted.
func podNames(t *testing.T, c *framework.Cluster, namespaces ...string) []string {
	t.Helper()
	var out []string
	for _, ns := range namespaces {
		pods, err := c.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods.Items {
			out = append(out, ns+"/"+p.Name)
		}
	}
	slices.Sort(out)
	return out
}
