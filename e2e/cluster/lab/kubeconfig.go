package lab

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// APIServerURL is where every component and test reaches the apiserver.
const APIServerURL = "https://" + APIServerIP + ":" + APIServerPort

// ComponentKubeconfig is the kubeconfig of a component, by cert stem
// ("kube-proxy", "kubelet-netcheck-node2").
func (l *Lab) ComponentKubeconfig(stem string) string {
	return filepath.Join(l.PKIDir(), stem+".kubeconfig")
}

// writeKubeconfigs writes the admin kubeconfig and one per component. The
// credentials are embedded, so a copied kubeconfig keeps working.
func (l *Lab) writeKubeconfigs() error {
	if err := l.writeKubeconfig(l.Kubeconfig(), "admin"); err != nil {
		return err
	}
	stems := []string{"kube-controller-manager", "kube-scheduler", "kube-proxy", "flannel"}
	for _, n := range Nodes {
		stems = append(stems, "kubelet-"+n.Name)
	}
	for _, s := range stems {
		if err := l.writeKubeconfig(l.ComponentKubeconfig(s), s); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) writeKubeconfig(path, stem string) error {
	read := func(p string) (string, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		return base64.StdEncoding.EncodeToString(data), nil
	}
	ca, err := read(l.pkiFile("ca", ".crt"))
	if err != nil {
		return err
	}
	cert, err := read(l.pkiFile(stem, ".crt"))
	if err != nil {
		return err
	}
	key, err := read(l.pkiFile(stem, ".key"))
	if err != nil {
		return err
	}
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: netcheck-lab
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: netcheck-lab
  context:
    cluster: netcheck-lab
    user: %s
current-context: netcheck-lab
`, APIServerURL, ca, stem, cert, key, stem)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}
