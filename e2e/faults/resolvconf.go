package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	corev1 "k8s.io/api/core/v1"
)

// ResolvConf overwrites the /etc/resolv.conf a running pod's containers see
// with content, as an image or entrypoint that writes its own resolver config
// does. The file is the pod sandbox's, bind-mounted into every container of
// the pod, ephemeral ones added later included. os.WriteFile truncates and
// rewrites it in place (same inode; a rename would leave the bind mounts on
// the old file); cleanup writes the original content back.
func ResolvConf(t testing.TB, pod *corev1.Pod, content string) {
	t.Helper()
	pid, err := framework.PodPID(pod, "")
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	path := fmt.Sprintf("/proc/%d/root/etc/resolv.conf", pid)
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("faults: read resolv.conf of pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("faults: write resolv.conf of pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
	t.Logf("faults: resolv.conf of pod %s/%s is now %q", pod.Namespace, pod.Name, content)
	t.Cleanup(func() {
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Errorf("faults: restore resolv.conf of pod %s/%s: %v", pod.Namespace, pod.Name, err)
		}
	})
}
