package lab

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"os/exec"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

//go:embed manifests/*.yaml
var manifests embed.FS

// manifestValues fill the {{.X}} fields of the embedded manifests.
var manifestValues = map[string]string{
	"FlannelUser":   flannelUser,
	"ClusterDomain": ClusterDomain,
	"ClusterDNS":    ClusterDNS,
	"Image":         CoreDNSImage,
}

// apply renders an embedded manifest and applies it server-side with the lab's
// kubectl, which makes repeated `up`s converge instead of failing on "exists".
func (l *Lab) apply(ctx context.Context, name string) error {
	tmpl, err := template.ParseFS(manifests, "manifests/"+name)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, manifestValues); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, l.Kubectl(), "--kubeconfig", l.Kubeconfig(), "apply", "--server-side", "--force-conflicts", "-f", "-")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apply %s: %w: %s", name, err, out)
	}
	return nil
}

// Client returns a clientset for the admin kubeconfig.
func (l *Lab) Client() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", l.Kubeconfig(), err)
	}
	return kubernetes.NewForConfig(cfg)
}

// waitNodesReady waits until every lab node reports Ready.
func (l *Lab) waitNodesReady(ctx context.Context, cs kubernetes.Interface, timeout time.Duration) error {
	return l.waitFor(ctx, "nodes Ready", "", timeout, func(ctx context.Context) error {
		for _, n := range Nodes {
			node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !nodeReady(node) {
				return fmt.Errorf("node %s not Ready", n.Name)
			}
		}
		return nil
	})
}

// waitPodCIDRs waits until every node is registered and has its podCIDR.
func (l *Lab) waitPodCIDRs(ctx context.Context, cs kubernetes.Interface, timeout time.Duration) error {
	return l.waitFor(ctx, "node podCIDRs", "", timeout, func(ctx context.Context) error {
		for _, n := range Nodes {
			node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if node.Spec.PodCIDR == "" {
				return fmt.Errorf("node %s has no podCIDR yet", n.Name)
			}
		}
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitCoreDNS waits until both replicas are ready, on different nodes.
func (l *Lab) waitCoreDNS(ctx context.Context, cs kubernetes.Interface) error {
	return l.waitFor(ctx, "CoreDNS 2/2 ready", "", 120*time.Second, func(ctx context.Context) error {
		pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=kube-dns"})
		if err != nil {
			return err
		}
		nodes := map[string]bool{}
		for i := range pods.Items {
			if p := &pods.Items[i]; p.DeletionTimestamp == nil && podReady(p) {
				nodes[p.Spec.NodeName] = true
			}
		}
		if len(nodes) < len(Nodes) {
			return fmt.Errorf("ready CoreDNS replicas on %d of %d nodes", len(nodes), len(Nodes))
		}
		return nil
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
