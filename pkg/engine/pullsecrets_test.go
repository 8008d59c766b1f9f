package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
)

// --image-pull-secret in pod mode: a source pod that does not list the secret
// fails the run before any agent is added or any line is printed.
func TestRunPullSecretTheSourcePodLacks(t *testing.T) {
	client := fake.NewClientset(cluster(pod("default", "client", "node1", "10.244.0.10", nil))...)
	cfg := config(t, "client", "svc/web")
	cfg.ImagePullSecrets = []string{"regcred"}
	progress := &recordingProgress{}
	_, err := Run(context.Background(), Deps{Client: client, Executor: &scriptedProbe{outcome: healthy("")}, Progress: progress}, cfg)
	if err == nil || !strings.Contains(err.Error(), "pod default/client does not list image pull secret regcred") {
		t.Fatalf("error = %v", err)
	}
	got, err := client.CoreV1().Pods("default").Get(context.Background(), "client", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Spec.EphemeralContainers); n != 0 {
		t.Errorf("%d ephemeral containers added", n)
	}
	if len(progress.lines) != 0 {
		t.Errorf("progress before the error: %q", progress.lines)
	}

	// With the secret listed by the pod, the run goes ahead and the agent's pod pulls with it.
	p := pod("default", "client", "node1", "10.244.0.10", nil)
	p.Spec.ImagePullSecrets = launch.PullSecretRefs([]string{"regcred"})
	client = fake.NewClientset(cluster(withRunningAgent(p, "netcheck-dev-zzzzz"))...)
	if _, err := Run(context.Background(), Deps{Client: client, Executor: &scriptedProbe{outcome: healthy("")}}, cfg); err != nil {
		t.Fatalf("pod lists the secret: %v", err)
	}
}

// recordingProgress keeps every line the run would print.
type recordingProgress struct{ lines []string }

func (p *recordingProgress) Resolved(*v1alpha1.Report)    { p.lines = append(p.lines, "resolved") }
func (p *recordingProgress) Event(string, v1alpha1.Event) {}
func (p *recordingProgress) Infof(format string, args ...any) {
	p.lines = append(p.lines, fmt.Sprintf(format, args...))
}
