//go:build e2e

package netcheck

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Issue #5: a ServiceAccount bound only to deploy/rbac.yaml's pod-view Role
// (its rules read from the real file) runs pod -> svc successfully with its
// own token. Then, with the one verb "watch" taken out of the Role, the
// preflight names exactly that, exits 3 before printing anything else, and
// nothing is created: the source pod gets no ephemeral container.
func TestPreflightWithThePodViewRole(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "rbac")
	fresh := createReady(t, c, f.ns, framework.EchoPod("fresh", lab.Node1.Name, "-idle"))[0]
	ctx := framework.Context(t, 4*time.Minute)

	role := podViewRole(t, c)
	role.Namespace = f.ns
	if _, err := c.Client.RbacV1().Roles(f.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa, err := c.Client.CoreV1().ServiceAccounts(f.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "netcheck-ci"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "netcheck-ci"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: f.ns}},
	}
	if _, err := c.Client.RbacV1().RoleBindings(f.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := serviceAccountKubeconfig(t, c, f.ns, sa.Name)
	user := "system:serviceaccount:" + f.ns + ":" + sa.Name
	waitCanI(t, c, kubeconfig, true, "patch", "pods", "--subresource=ephemeralcontainers", "-n", f.ns)

	t.Run("the pod-view Role is enough", func(t *testing.T) {
		rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "--kubeconfig", kubeconfig, "-n", f.ns, "client", "--to", "svc/web")
		if rep.Verdict.Status != v1alpha1.VerdictOK {
			t.Errorf("verdict %s: %s", rep.Verdict.Status, rep.Verdict.Summary)
		}
		noFaults(t, rep)
	})

	t.Run("one verb less: the preflight names it", func(t *testing.T) {
		for i, r := range role.Rules {
			if slices.Equal(r.Resources, []string{"pods"}) && slices.Contains(r.Verbs, "watch") {
				role.Rules[i].Verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == "watch" })
			}
		}
		if _, err := c.Client.RbacV1().Roles(f.ns).Update(ctx, role, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitCanI(t, c, kubeconfig, false, "watch", "pods", "-n", f.ns)
		before := podNames(t, c, f.ns)

		res := c.Netcheck(t, ctx, "--kubeconfig", kubeconfig, "-n", f.ns, fresh.Name, "--to", "svc/web")
		if res.ExitCode != v1alpha1.ExitCouldNotRun || res.Stdout != "" {
			t.Errorf("exit code %d and stdout %q, want 3 and nothing", res.ExitCode, res.Stdout)
		}
		if lines := nonEmptyLines(res.Stderr); len(lines) != 1 {
			t.Errorf("%d lines on stderr, want the error line alone:\n%s", len(lines), res.Stderr)
		}
		containsAll(t, "error line", errorLine(t, res.Stderr), "permission denied", user,
			`"watch" pods in namespace `+f.ns, "deploy/rbac.yaml", "kubectl auth can-i watch pods -n "+f.ns)
		if strings.Contains(res.Stderr, `"patch"`) || strings.Contains(res.Stderr, `"get"`) {
			t.Errorf("names calls the Role still grants: %s", res.Stderr)
		}

		got, err := c.Client.CoreV1().Pods(f.ns).Get(ctx, fresh.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Spec.EphemeralContainers); n != 0 {
			t.Errorf("pod %s got %d ephemeral containers from a run the preflight stopped", fresh.Name, n)
		}
		if after := podNames(t, c, f.ns); !slices.Equal(before, after) {
			t.Errorf("pods changed: before %v, after %v", before, after)
		}
	})
}

// podViewRole is the Role netcheck-pod-view exactly as deploy/rbac.yaml
// defines it, so the test proves the file and not a copy of it.
func podViewRole(t *testing.T, c *framework.Cluster) *rbacv1.Role {
	t.Helper()
	path := filepath.Join(c.Lab.Repo, "deploy", "rbac.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind != "Role" {
			continue
		}
		var role rbacv1.Role
		if err := yaml.UnmarshalStrict(doc, &role); err != nil {
			t.Fatalf("decode a Role of %s: %v", path, err)
		}
		if role.Name == "netcheck-pod-view" {
			return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: role.Name, Labels: role.Labels}, Rules: role.Rules}
		}
	}
	t.Fatalf("%s has no Role netcheck-pod-view", path)
	return nil
}

// serviceAccountKubeconfig writes a kubeconfig for the lab's API server that
// authenticates with a fresh token of the ServiceAccount (TokenRequest).
func serviceAccountKubeconfig(t *testing.T, c *framework.Cluster, ns, sa string) string {
	t.Helper()
	ctx := framework.Context(t, 30*time.Second)
	tok, err := c.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lab"] = cluster
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts[sa] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: sa, Namespace: ns}
	cfg.CurrentContext = sa
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitCanI polls `kubectl auth can-i` as the kubeconfig's user until the
// answer is want: RBAC changes reach the authorizer's cache a moment later.
func waitCanI(t *testing.T, c *framework.Cluster, kubeconfig string, want bool, args ...string) {
	t.Helper()
	ctx := framework.Context(t, time.Minute)
	args = append([]string{"auth", "can-i", "--kubeconfig", kubeconfig}, args...)
	for {
		_, err := c.Kubectl(ctx, args...)
		if (err == nil) == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("kubectl %s never answered %v: %v", strings.Join(args, " "), want, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
