package engine

import (
	"context"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
)

// NoFollowUps: the refusing backend gets no agent, and only the source pod is exec'd.
func TestRunWithoutFollowUps(t *testing.T) {
	client := fake.NewClientset(cluster(withRunningAgent(pod("default", "client", "node1", "10.244.0.10", nil), "netcheck-dev-zzzzz"))...)
	cfg := config(t, "client", "svc/web")
	cfg.NoFollowUps = true
	probe := &scriptedProbe{outcome: healthy("10.244.1.12:8080")}
	report, err := Run(context.Background(), Deps{Client: client, Executor: probe}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for key := range probe.requests(t) {
		if !strings.HasPrefix(key, "client/") {
			t.Errorf("exec into %s: no follow-up was asked for", key)
		}
	}
	for _, r := range report.Results {
		if r.ID == "netinfo:default/web-2" {
			t.Errorf("follow-up result %+v", r)
		}
	}
}
