package diagnose

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// kube-proxy names its per-Service chains after a hash of the service port,
// so a node's rules can be looked up without parsing comments. These mirror
// k8s.io/kubernetes pkg/proxy (v1.33): iptables/proxier.go portProtoHash and
// servicePortPolicyClusterChain, nftables/proxier.go hashAndTruncate and
// servicePortChainNameBase. ServicePortName.String() is "ns/name" plus
// ":portname" when the port is named; the protocol is lower case.

// servicePortName is kube-proxy's ServicePortName.String().
func servicePortName(ns, name, port string) string {
	s := ns + "/" + name
	if port != "" {
		s += ":" + port
	}
	return s
}

// iptablesServiceChains are the KUBE-SVC- (cluster traffic policy) and KUBE-SVL-
// (local policy) chain names of a service port.
func iptablesServiceChains(ns, name, port, protocol string) (cluster, local string) {
	sum := sha256.Sum256([]byte(servicePortName(ns, name, port) + strings.ToLower(protocol)))
	hash := base32.StdEncoding.EncodeToString(sum[:])[:16]
	return "KUBE-SVC-" + hash, "KUBE-SVL-" + hash
}

// nftChainBaseMax is knftables.NameLengthMax (256) minus kube-proxy's
// chainNamePrefixLengthMax (16).
const nftChainBaseMax = 256 - 16

// nftablesServiceChain is the "service-HASH-ns/name/proto/port" chain of the
// kube-proxy nftables table.
func nftablesServiceChain(ns, name, port, protocol string) string {
	base := fmt.Sprintf("%s/%s/%s/%s", ns, name, strings.ToLower(protocol), port)
	sum := sha256.Sum256([]byte(base))
	base = base32.StdEncoding.EncodeToString(sum[:])[:8] + "-" + base
	if len(base) > nftChainBaseMax {
		base = base[:nftChainBaseMax-3] + "..."
	}
	return "service-" + base
}
