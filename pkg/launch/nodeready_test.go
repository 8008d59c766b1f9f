package launch

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestNotReadyNamesTheNodeBeforeTheTimeout(t *testing.T) {
	node := func(name string, status corev1.ConditionStatus) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: status, Reason: "NodeStatusUnknown", Message: "Kubelet stopped posting node status."}}}}
	}
	client := fake.NewClientset(node("sick", corev1.ConditionUnknown), node("fine", corev1.ConditionTrue))
	timeout := errors.New("timed out after 1m0s waiting for node pod ops/netcheck-sick-aaaaa on node sick to run")
	for _, tc := range []struct {
		node, want string
	}{
		{"sick", "node sick is NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node status), so its kubelet " +
			"did not run the node pod; the node being NotReady is itself a clue: look at `kubectl describe node sick` and the " +
			"kubelet and container runtime on it (" + timeout.Error() + ")"},
		{"fine", timeout.Error()},    // Ready: the timeout is the news
		{"missing", timeout.Error()}, // unreadable: the timeout as it was
	} {
		err := notReady(context.Background(), client, tc.node, timeout)
		if err.Error() != tc.want {
			t.Errorf("%s:\n got  %v\n want %s", tc.node, err, tc.want)
		}
		if !errors.Is(err, timeout) {
			t.Errorf("%s: the timeout is no longer in the chain", tc.node)
		}
	}
}
