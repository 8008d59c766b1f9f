//go:build e2e

package engine

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

// BenchmarkTimeToVerdict is the hook for the e2e time-to-verdict benchmark: one
// iteration is one whole run (resolve, launch or reuse, one exec, diagnose)
// against the cluster in $KUBECONFIG. The first iteration on a fresh pod pays
// the agent start; the rest measure the reuse path. Set:
//
//	NETCHECK_BENCH_SOURCE     e.g. pod/client (required)
//	NETCHECK_BENCH_TARGET     e.g. svc/web (required)
//	NETCHECK_BENCH_NAMESPACE  default "default"
//	NETCHECK_BENCH_IMAGE      default version.ProbeImage(""), pulled with policy Never
//
// go test -tags e2e -run '^$' -bench TimeToVerdict ./pkg/engine/
func BenchmarkTimeToVerdict(b *testing.B) {
	source, targetSpec := os.Getenv("NETCHECK_BENCH_SOURCE"), os.Getenv("NETCHECK_BENCH_TARGET")
	if source == "" || targetSpec == "" {
		b.Skip("set NETCHECK_BENCH_SOURCE and NETCHECK_BENCH_TARGET (and KUBECONFIG)")
	}
	rest, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		b.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(rest)
	if err != nil {
		b.Fatal(err)
	}
	src, err := target.ParseSource(source)
	if err != nil {
		b.Fatal(err)
	}
	tgt, err := target.Parse(targetSpec)
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{
		Namespace: envOr("NETCHECK_BENCH_NAMESPACE", "default"), Source: src, Targets: []target.Spec{tgt},
		Image: envOr("NETCHECK_BENCH_IMAGE", version.ProbeImage("")), ImagePullPolicy: corev1.PullNever, Timeout: time.Minute,
	}
	deps := Deps{Client: client, RestConfig: rest}
	for b.Loop() {
		if _, err := Run(context.Background(), deps, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
