package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Control-plane daemon names.
const (
	etcdName       = "etcd"
	apiserverName  = "kube-apiserver"
	controllerName = "kube-controller-manager"
	schedulerName  = "kube-scheduler"
)

func (l *Lab) etcd() Daemon {
	return Daemon{Name: etcdName, Bin: "/usr/bin/etcd", Args: []string{
		"--name=netcheck-lab",
		"--data-dir=" + l.VarDir("etcd"),
		"--listen-client-urls=" + etcdClient,
		"--advertise-client-urls=" + etcdClient,
		"--listen-peer-urls=" + etcdPeer,
		"--initial-advertise-peer-urls=" + etcdPeer,
		"--initial-cluster=netcheck-lab=" + etcdPeer,
		"--log-level=warn",
	}}
}

// apiserver: RBAC and the PodSecurity admission plugin are on, so the tests that
// expect a Forbidden or a PSA rejection see the real thing.
func (l *Lab) apiserver() Daemon {
	p := func(f string) string { return l.pkiFile(f, "") }
	return Daemon{Name: apiserverName, Bin: l.K8sBin("kube-apiserver"), Args: []string{
		"--etcd-servers=" + etcdClient,
		"--bind-address=" + APIServerIP,
		"--advertise-address=" + APIServerIP,
		"--secure-port=" + APIServerPort,
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction,PodSecurity",
		"--allow-privileged=true",
		"--client-ca-file=" + p("ca.crt"),
		"--tls-cert-file=" + p("apiserver.crt"),
		"--tls-private-key-file=" + p("apiserver.key"),
		"--kubelet-client-certificate=" + p("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + p("apiserver-kubelet-client.key"),
		// Reach kubelets by InternalIP: resolving node names would ask the
		// machine's upstream DNS.
		"--kubelet-preferred-address-types=InternalIP",
		"--service-account-issuer=https://kubernetes.default.svc." + ClusterDomain,
		"--service-account-key-file=" + p("sa.pub"),
		"--service-account-signing-key-file=" + p("sa.key"),
		"--requestheader-client-ca-file=" + p("front-proxy-ca.crt"),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User",
		"--proxy-client-cert-file=" + p("front-proxy-client.crt"),
		"--proxy-client-key-file=" + p("front-proxy-client.key"),
		"--profiling=false",
	}}
}

func (l *Lab) controllerManager() Daemon {
	kc := l.ComponentKubeconfig("kube-controller-manager")
	return Daemon{Name: controllerName, Bin: l.K8sBin("kube-controller-manager"), Args: []string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		// The node IPAM controller hands each node its podCIDR; flannel leases it.
		"--allocate-node-cidrs=true",
		"--cluster-cidr=" + PodCIDR,
		"--node-cidr-mask-size=24",
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--root-ca-file=" + l.pkiFile("ca.crt", ""),
		"--service-account-private-key-file=" + l.pkiFile("sa.key", ""),
		"--use-service-account-credentials=true",
		"--cluster-signing-cert-file=" + l.pkiFile("ca.crt", ""),
		"--cluster-signing-key-file=" + l.pkiFile("ca.key", ""),
		"--requestheader-client-ca-file=" + l.pkiFile("front-proxy-ca.crt", ""),
		"--profiling=false",
	}}
}

func (l *Lab) scheduler() Daemon {
	kc := l.ComponentKubeconfig("kube-scheduler")
	return Daemon{Name: schedulerName, Bin: l.K8sBin("kube-scheduler"), Args: []string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--profiling=false",
	}}
}

// startControlPlane starts etcd, the apiserver (and waits until it is ready),
// then the controller-manager and scheduler.
func (l *Lab) startControlPlane(ctx context.Context) error {
	if _, err := l.Start(l.etcd()); err != nil {
		return err
	}
	if err := l.waitFor(ctx, "etcd", etcdName, 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, etcdClient+"/health")
	}); err != nil {
		return err
	}
	if _, err := l.Start(l.apiserver()); err != nil {
		return err
	}
	client, err := l.adminHTTPClient()
	if err != nil {
		return err
	}
	if err := l.waitFor(ctx, "kube-apiserver", apiserverName, 90*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, client, APIServerURL+"/readyz")
	}); err != nil {
		return err
	}
	for _, d := range []Daemon{l.controllerManager(), l.scheduler()} {
		if _, err := l.Start(d); err != nil {
			return err
		}
	}
	return nil
}

// adminHTTPClient talks TLS to the apiserver as the admin user.
func (l *Lab) adminHTTPClient() (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(l.pkiFile("admin.crt", ""), l.pkiFile("admin.key", ""))
	if err != nil {
		return nil, fmt.Errorf("admin credentials: %w", err)
	}
	caPEM, err := os.ReadFile(l.pkiFile("ca.crt", ""))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool},
	}}, nil
}

func httpOK(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, body)
	}
	return nil
}
