package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certSpec is one certificate of the cluster PKI.
type certSpec struct {
	name   string // file stem under pki/
	ca     string // stem of the signing CA
	cn     string
	orgs   []string
	server bool
	ips    []string
	dns    []string
}

// clusterCerts: one CA for everything but the aggregation front proxy, which
// the apiserver wants signed by a CA of its own. Each component gets a client
// cert whose CN/O is the identity RBAC's default bindings expect.
func clusterCerts() []certSpec {
	specs := []certSpec{
		{name: "apiserver", ca: "ca", cn: "kube-apiserver", server: true,
			ips: []string{APIServerIP, KubernetesSvc, "127.0.0.1"},
			dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + ClusterDomain, "localhost"}},
		{name: "apiserver-kubelet-client", ca: "ca", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}},
		{name: "front-proxy-client", ca: "front-proxy-ca", cn: "front-proxy-client"},
		{name: "admin", ca: "ca", cn: "netcheck-admin", orgs: []string{"system:masters"}},
		{name: "kube-controller-manager", ca: "ca", cn: "system:kube-controller-manager"},
		{name: "kube-scheduler", ca: "ca", cn: "system:kube-scheduler"},
		{name: "kube-proxy", ca: "ca", cn: "system:kube-proxy"},
		{name: "flannel", ca: "ca", cn: flannelUser},
	}
	for _, n := range Nodes {
		specs = append(specs, certSpec{name: "kubelet-" + n.Name, ca: "ca", cn: "system:node:" + n.Name, orgs: []string{"system:nodes"}})
	}
	return specs
}

// flannelUser is the identity flanneld uses; addons.go binds it to flannel's ClusterRole.
const flannelUser = "netcheck:flannel"

func (l *Lab) pkiFile(stem, ext string) string { return filepath.Join(l.PKIDir(), stem+ext) }

// EnsurePKI creates whatever part of the PKI is missing; existing keys are kept
// so a kubeconfig handed out earlier stays valid across down/up.
func (l *Lab) EnsurePKI() error {
	if err := os.MkdirAll(l.PKIDir(), 0o700); err != nil {
		return fmt.Errorf("create pki dir: %w", err)
	}
	for _, ca := range []string{"ca", "front-proxy-ca"} {
		if err := l.ensureCA(ca); err != nil {
			return err
		}
	}
	if err := l.ensureSAKey(); err != nil {
		return err
	}
	for _, s := range clusterCerts() {
		if err := l.ensureCert(s); err != nil {
			return err
		}
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (l *Lab) ensureCA(stem string) error {
	if exists(l.pkiFile(stem, ".crt")) && exists(l.pkiFile(stem, ".key")) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", stem, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "netcheck-lab-" + stem},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("self-sign %s: %w", stem, err)
	}
	return l.writePair(stem, der, key)
}

func (l *Lab) ensureSAKey() error {
	if exists(l.pkiFile("sa", ".key")) && exists(l.pkiFile("sa", ".pub")) {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate service account key: %w", err)
	}
	if err := writeKey(l.pkiFile("sa", ".key"), key); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encode service account public key: %w", err)
	}
	return writePEM(l.pkiFile("sa", ".pub"), "PUBLIC KEY", pub, 0o644)
}

func (l *Lab) ensureCert(s certSpec) error {
	if exists(l.pkiFile(s.name, ".crt")) && exists(l.pkiFile(s.name, ".key")) {
		return nil
	}
	caCert, caKey, err := l.loadPair(s.ca)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", s.name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames:     s.dns,
	}
	if s.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	for _, ip := range s.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("sign %s: %w", s.name, err)
	}
	return l.writePair(s.name, der, key)
}

func (l *Lab) loadPair(stem string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(l.pkiFile(stem, ".crt"))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s cert: %w", stem, err)
	}
	keyPEM, err := os.ReadFile(l.pkiFile(stem, ".key"))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s key: %w", stem, err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s: not PEM", stem)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s cert: %w", stem, err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s key: %w", stem, err)
	}
	return cert, key, nil
}

func (l *Lab) writePair(stem string, der []byte, key *ecdsa.PrivateKey) error {
	if err := writeKey(l.pkiFile(stem, ".key"), key); err != nil {
		return err
	}
	return writePEM(l.pkiFile(stem, ".crt"), "CERTIFICATE", der, 0o644)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key %s: %w", path, err)
	}
	return writePEM(path, "EC PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if data == nil {
		return errors.New("pem encode " + path)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
