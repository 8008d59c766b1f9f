//go:build e2e

package netcheck

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #3, the DNS findings, each from a real fault: a name that does not
// exist, a short name that walks the search list, CoreDNS replicas that drop
// one transport or everything, the kube-dns ClusterIP dead on the source's
// node while the replicas answer, and a pod whose resolv.conf lost its
// nameserver. The replica faults are cluster-wide and undone when their
// subtest ends. All runs ask for dns/kubernetes.default unless the case needs
// another name: one DNS check, resolved through the pod's search list
// (kubernetes.default.<ns>.svc.cluster.local first, then
// kubernetes.default.svc.cluster.local, which answers).
func TestDNSFaults(t *testing.T) {
	c := framework.Get(t)
	ns := c.Namespace(t, "dnsfaults", nil)
	pods := createReady(t, c, ns,
		framework.EchoPod("client", lab.Node1.Name, "-idle"),
		framework.EchoPod("noresolv", lab.Node1.Name, "-idle"))
	noresolv := pods[1]
	replica1, replica2 := faults.CoreDNSPod(t, c, lab.Node1), faults.CoreDNSPod(t, c, lab.Node2)
	replicas := []string{replica1.Name, replica2.Name}
	const name = "dns/kubernetes.default"

	for _, tc := range []struct {
		name   string
		inject func(t *testing.T)
		source string
		to     string
		exit   int
		id     string
		names  []string
		check  func(t *testing.T, fd v1alpha1.Finding)
	}{
		{
			name: "name does not exist",
			to:   "dns/no-such-name.default.svc.cluster.local", exit: v1alpha1.ExitFault, id: diagnose.IDDNSNXDomain,
			names: []string{`"no-such-name.default.svc.cluster.local" does not exist`, "NXDOMAIN for all 4 names"},
			check: func(t *testing.T, fd v1alpha1.Finding) {
				hasEvidence(t, fd, "no-such-name.default.svc.cluster.local."+ns+".svc.cluster.local", "0 NOERROR")
			},
		},
		{
			// Information: the lookup works, at the price of a wasted query per type.
			name: "short name walks the search list",
			to:   name, exit: v1alpha1.ExitOK, id: diagnose.IDDNSNdotsExpansion,
			names: []string{"1 search-list name fails before kubernetes.default.svc.cluster.local", "(ndots:5)"},
			check: func(t *testing.T, fd v1alpha1.Finding) {
				hasEvidence(t, fd, "tried before the answer: kubernetes.default."+ns+".svc.cluster.local")
			},
		},
		{
			// A warning: small answers still come over UDP.
			name: "every replica drops DNS over TCP",
			inject: func(t *testing.T) {
				faults.DropDNSOver(t, c, lab.Node1, "tcp")
				faults.DropDNSOver(t, c, lab.Node2, "tcp")
			},
			to: name, exit: v1alpha1.ExitOK, id: diagnose.IDDNSTCPFailing,
			names: append([]string{"DNS over TCP fails while UDP works (3 servers)", lab.ClusterDNS}, replicas...),
		},
		{
			name: "every replica drops DNS over UDP",
			inject: func(t *testing.T) {
				faults.DropDNSOver(t, c, lab.Node1, "udp")
				faults.DropDNSOver(t, c, lab.Node2, "udp")
			},
			to: name, exit: v1alpha1.ExitFault, id: diagnose.IDDNSUDPFailing,
			names: append([]string{"DNS over UDP fails while TCP works (3 servers)", lab.ClusterDNS}, replicas...),
		},
		{
			name: "every replica drops DNS",
			inject: func(t *testing.T) {
				faults.DropDNS(t, c, lab.Node1)
				faults.DropDNS(t, c, lab.Node2)
			},
			to: name, exit: v1alpha1.ExitFault, id: diagnose.IDDNSAllServersFailing,
			names: []string{"every DNS server fails (3 servers)", lab.ClusterDNS, replica1.Status.PodIP, replica2.Status.PodIP},
			check: func(t *testing.T, fd v1alpha1.Finding) { hasEvidence(t, fd, replicas...) },
		},
		{
			// The replicas answer on their pod IPs; only the Service path on the
			// client's node is gone.
			name:   "kube-dns ClusterIP dead on the source's node",
			inject: func(t *testing.T) { faults.BreakServiceIP(t, lab.Node1, lab.ClusterDNS) },
			to:     name, exit: v1alpha1.ExitFault, id: diagnose.IDDNSServiceIPFailing,
			names: []string{"nameserver " + lab.ClusterDNS + ":53 fails while all 2 DNS replicas answer directly",
				"kube-proxy rules on node " + lab.Node1.Name},
			check: func(t *testing.T, fd v1alpha1.Finding) { hasEvidence(t, fd, replicas...) },
		},
		{
			// What an entrypoint that writes its own resolv.conf and forgets the
			// nameserver leaves: the search list and options, no server.
			name: "resolv.conf without a nameserver",
			inject: func(t *testing.T) {
				faults.ResolvConf(t, noresolv, fmt.Sprintf("search %s.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n", ns))
			},
			source: "noresolv", to: name, exit: v1alpha1.ExitFault, id: diagnose.IDDNSNoNameserver,
			names: []string{"pod " + ns + "/noresolv /etc/resolv.conf has no nameserver line"},
			check: func(t *testing.T, fd v1alpha1.Finding) { hasEvidence(t, fd, "nameservers []") },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.inject != nil {
				tc.inject(t)
			}
			source := tc.source
			if source == "" {
				source = "client"
			}
			rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), tc.exit, "-n", ns, source, "--to", tc.to)
			fd := requireFinding(t, rep, tc.id)
			mentions(t, fd, tc.names...)
			onlyFault(t, rep, tc.id)
			if tc.check != nil {
				tc.check(t, fd)
			}
			if t.Failed() {
				t.Logf("findings:\n%s", findingsText(rep))
			}
		})
	}
}
