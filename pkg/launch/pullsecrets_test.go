package launch

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestCheckPullSecrets(t *testing.T) {
	withSecrets := func(names ...string) *corev1.Pod {
		p := appPod()
		p.Spec.ImagePullSecrets = PullSecretRefs(names)
		return p
	}
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		want    []string
		wantErr []string
	}{
		{name: "none asked", pod: appPod()},
		{name: "listed", pod: withSecrets("regcred", "mirror"), want: []string{"mirror"}},
		{name: "missing", pod: withSecrets("regcred"), want: []string{"mirror", "regcred", "mirror"},
			wantErr: []string{"pod default/client does not list image pull secret mirror (its imagePullSecrets: regcred)",
				"ephemeral container, which pulls with its pod's own imagePullSecrets", "a running pod's spec cannot change",
				"spec.imagePullSecrets", "pre-load the image on node node1", "leave out --image-pull-secret"}},
		{name: "pod has none", pod: appPod(), want: []string{"a", "b"},
			wantErr: []string{"does not list image pull secret a, b (its imagePullSecrets: none)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPullSecrets(tc.pod, tc.want)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
		})
	}
}

// The builder refuses before building: nothing reaches the patch.
func TestWithEphemeralAgentNeedsThePodsPullSecrets(t *testing.T) {
	spec := AgentSpec{Name: "netcheck-dev-abcde", Image: "registry.internal/netcheck-probe:dev", ImagePullSecrets: []string{"regcred"}}
	if _, err := WithEphemeralAgent(appPod(), spec, "app", PodProfile{}); err == nil || !strings.Contains(err.Error(), "regcred") {
		t.Fatalf("error = %v, want the missing secret named", err)
	}
	pod := appPod()
	pod.Spec.ImagePullSecrets = PullSecretRefs([]string{"regcred"})
	got, err := WithEphemeralAgent(pod, spec, "app", PodProfile{})
	if err != nil {
		t.Fatal(err)
	}
	// The pod's own secrets pull the agent's image; the builder adds none.
	if diff := cmp.Diff(pod.Spec.ImagePullSecrets, got.Spec.ImagePullSecrets); diff != "" {
		t.Errorf("pull secrets changed (-want +got):\n%s", diff)
	}
}
