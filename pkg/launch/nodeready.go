package launch

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// nodeReadTimeout bounds the look at a node whose pod did not start in time:
// it only improves the error, so it must not hold the run up.
const nodeReadTimeout = 5 * time.Second

// NodeNotReadyError is a node pod that never ran because its node is
// NotReady: the kubelet there does not run it (or does not report it). That
// the node is NotReady is itself a clue to a network fault, so it is named
// first, before the timeout it caused.
type NodeNotReadyError struct {
	Node string
	// Status is the Ready condition's status ("False", "Unknown"); Reason and
	// Message are the condition's.
	Status, Reason, Message string
	Err                     error
}

func (e *NodeNotReadyError) Error() string {
	cond := e.Status
	if e.Reason != "" {
		cond += ", " + e.Reason
	}
	if m := strings.TrimSpace(e.Message); m != "" {
		cond += ": " + strings.TrimSuffix(m, ".")
	}
	return fmt.Sprintf("node %s is NotReady (Ready=%s), so its kubelet did not run the node pod; the node being NotReady "+
		"is itself a clue: look at `kubectl describe node %s` and the kubelet and container runtime on it (%v)", e.Node, cond, e.Node, e.Err)
}

func (e *NodeNotReadyError) Unwrap() error { return e.Err }

// notReady returns err as a *NodeNotReadyError when node is not Ready, and
// err itself otherwise (Ready, or the node cannot be read).
func notReady(ctx context.Context, client kubernetes.Interface, node string, err error) error {
	ctx, cancel := context.WithTimeout(ctx, nodeReadTimeout)
	defer cancel()
	n, getErr := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if getErr != nil {
		return err
	}
	if c := readyCondition(n); c != nil && c.Status != corev1.ConditionTrue {
		return &NodeNotReadyError{Node: node, Status: string(c.Status), Reason: c.Reason, Message: c.Message, Err: err}
	}
	return err
}

// readyCondition is the node's Ready condition, nil when it has none yet.
func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}
