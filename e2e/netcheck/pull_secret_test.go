//go:build e2e

package netcheck

import (
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue #5: --image-pull-secret in pod mode. The probe is an ephemeral
// container, which pulls with its pod's own imagePullSecrets; a pod that does
// not list the secret fails the run at once (exit 3, one line that says so
// and what to do) with nothing added to it, and a pod that lists it runs.
func TestImagePullSecretInPodMode(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "pullsecret", nil)
	ctx := framework.Context(t, 3*time.Minute)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "regcred"},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{}}`)},
	}
	if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	listed := framework.EchoPod("listed", lab.Node1.Name, "-idle")
	listed.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	createReady(t, c, ns, framework.EchoPod("plain", lab.Node1.Name, "-idle"), listed)
	dnsTCP := lab.ClusterDNS + ":53"

	res := c.Netcheck(t, ctx, "-n", ns, "plain", "--to", dnsTCP, "--image-pull-secret", "regcred")
	if res.ExitCode != v1alpha1.ExitCouldNotRun || res.Stdout != "" {
		t.Errorf("exit code %d, stdout %q; want 3 and nothing", res.ExitCode, res.Stdout)
	}
	if n := len(nonEmptyLines(res.Stderr)); n != 1 {
		t.Errorf("%d lines on stderr, want the error line alone:\n%s", n, res.Stderr)
	}
	containsAll(t, "error line", errorLine(t, res.Stderr), "pod "+ns+"/plain does not list image pull secret regcred",
		"its imagePullSecrets: none", "ephemeral container", "spec.imagePullSecrets", "pre-load the image on node "+lab.Node1.Name)
	plain, err := c.Client.CoreV1().Pods(ns).Get(ctx, "plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(plain.Spec.EphemeralContainers); n != 0 {
		t.Errorf("pod plain got %d ephemeral containers", n)
	}

	rep := netcheckJSON(t, c, ctx, v1alpha1.ExitOK, "-n", ns, "listed", "--to", dnsTCP, "--image-pull-secret", "regcred")
	if rep.Source.Pod != "listed" {
		t.Errorf("source %s", rep.Source.Pod)
	}
	got, err := c.Client.CoreV1().Pods(ns).Get(ctx, "listed", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.EphemeralContainers) != 1 || got.Spec.ImagePullSecrets[0].Name != "regcred" {
		t.Errorf("pod listed: %d ephemeral containers, pull secrets %v", len(got.Spec.EphemeralContainers), got.Spec.ImagePullSecrets)
	}
}
