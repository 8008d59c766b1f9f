//go:build e2e

package netcheck

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
)

// Issue #3, the connect findings: each one from a real fault in a backend's or
// a pod's network namespace (iptables rules there, undone when the subtest
// ends). The subtests share one scene, svc/web (web-1 on node 1, web-2 on
// node 2), a pod srv on node 2 and the client on node 1, and so one agent in
// the client; follow-ups add one to each pod that refused.
//
// Every subtest also asserts that its fault is the only fault finding: one
// injected fault must read as one root cause, not as several unrelated ones.
func TestConnectFaults(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "connect")
	srv := createReady(t, c, f.ns, framework.EchoPod("srv", lab.Node2.Name))[0]
	web1, web2, srvNetns := podNetns(t, f.web1), podNetns(t, f.web2), podNetns(t, srv)
	srvAddr := fmt.Sprintf("%s:%d", srv.Status.PodIP, framework.EchoHTTPPort)
	srvHop := fmt.Sprintf("pod %s/srv %s on node %s", f.ns, srvAddr, lab.Node2.Name)
	// rule is an iptables rule body for the INPUT chain of a pod's netns.
	type rule struct {
		netns string
		body  []string
	}
	tcpTo8080 := []string{"-p", "tcp", "--dport", "8080"}
	with := func(match []string, more ...string) []string { return append(append([]string{}, match...), more...) }

	for _, tc := range []struct {
		name  string
		rules []rule
		to    string
		extra []string
		exit  int
		id    string
		// names must appear in the finding's hop or summary.
		names []string
		check func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding)
	}{
		{
			name:  "one backend drops every SYN",
			rules: []rule{{web2, with(tcpTo8080, "-j", "DROP")}},
			to:    "svc/web", exit: v1alpha1.ExitFault, id: diagnose.IDEndpointTimeout,
			names: []string{f.ns + "/web-2", lab.Node2.Name, f.web2.Status.PodIP + ":8080"},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				if strings.Contains(fd.Hop+fd.Summary, "web-1") {
					t.Errorf("the healthy backend is blamed: %s / %s", fd.Summary, fd.Hop)
				}
				dead := tcpResult(t, rep, f.web2.Status.PodIP+":8080")
				if n := dead.TCP.Counts[v1alpha1.TCPTimeout]; n == 0 || n != len(dead.TCP.Attempts) {
					t.Errorf("web-2: counts %v, want every connect timed out", dead.TCP.Counts)
				}
				// About half the connects through the ClusterIP land on web-2: the
				// finding explains that instead of a second one about the Service IP.
				hasEvidence(t, fd, "this explains the Service IP "+f.svc.Spec.ClusterIP+":80")
			},
		},
		{
			name:  "every backend resets",
			rules: []rule{{web1, with(tcpTo8080, "-j", "REJECT", "--reject-with", "tcp-reset")}, {web2, with(tcpTo8080, "-j", "REJECT", "--reject-with", "tcp-reset")}},
			to:    "svc/web", exit: v1alpha1.ExitFault, id: diagnose.IDServiceEndpointsAllRefused,
			names: []string{f.ns + "/web", lab.Node1.Name, lab.Node2.Name},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				hasEvidence(t, fd, f.ns+"/web-1", f.ns+"/web-2", "via the Service IP "+f.svc.Spec.ClusterIP+":80",
					// The follow-up looked inside the pods: they do listen, so a rule refuses.
					"does listen on port 8080")
			},
		},
		{
			name:  "every backend drops every SYN",
			rules: []rule{{web1, with(tcpTo8080, "-j", "DROP")}, {web2, with(tcpTo8080, "-j", "DROP")}},
			to:    "svc/web", exit: v1alpha1.ExitFault, id: diagnose.IDServiceEndpointsAllTimeout,
			names: []string{f.ns + "/web", lab.Node1.Name, lab.Node2.Name},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				hasEvidence(t, fd, f.ns+"/web-1", f.ns+"/web-2", "via the Service IP "+f.svc.Spec.ClusterIP+":80")
			},
		},
		{
			name:  "pod resets connects to a port it listens on",
			rules: []rule{{srvNetns, with(tcpTo8080, "-j", "REJECT", "--reject-with", "tcp-reset")}},
			to:    "pod/srv:8080", exit: v1alpha1.ExitFault, id: diagnose.IDTCPRefused,
			names: []string{srvHop},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				hasEvidence(t, fd, "does listen on port 8080", "REJECT rule")
			},
		},
		{
			name:  "pod drops every SYN, target given by IP",
			rules: []rule{{srvNetns, with(tcpTo8080, "-j", "DROP")}},
			to:    srvAddr, exit: v1alpha1.ExitFault, id: diagnose.IDTCPTimeout,
			// The IP is recognised as srv's, so the path is named end to end.
			names: []string{srvAddr, f.ns + "/srv", f.ns + "/client", lab.Node1.Name, lab.Node2.Name},
		},
		{
			name:  "pod drops a quarter of the SYNs",
			rules: []rule{{srvNetns, with(tcpTo8080, "--syn", "-m", "statistic", "--mode", "random", "--probability", "0.25", "-j", "DROP")}},
			to:    "pod/srv:8080", extra: []string{"--count", "60"}, exit: v1alpha1.ExitFault, id: diagnose.IDTCPIntermittentTimeout,
			names: []string{srvHop},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				res := tcpResult(t, rep, srvAddr)
				total, ok := len(res.TCP.Attempts), res.TCP.Counts[v1alpha1.TCPOK]
				if total != 60 || res.TCP.Counts[v1alpha1.TCPTimeout] != total-ok {
					t.Fatalf("srv: %d attempts, counts %v: want 60, every failure a timeout", total, res.TCP.Counts)
				}
				// Binomial(60, 0.25): mean 15, sd 3.4; 10%..45% (6..27) is over 2.6 sd either side.
				if rate := 100 * float64(total-ok) / float64(total); rate < 10 || rate > 45 {
					t.Errorf("srv timeout rate %.0f%%, want about 25%% (10..45)", rate)
				}
				hasEvidence(t, fd, fmt.Sprintf("%d of %d timed out", total-ok, total))
			},
		},
		{
			// A router or firewall answering ICMP host-unreachable (firewalld's
			// icmp-host-prohibited reads the same to the client). The answering
			// kernel rate-limits those errors per client like any ICMP error, so past
			// a burst of 6 the connects time out instead.
			name:  "pod answers ICMP host-unreachable",
			rules: []rule{{srvNetns, with(tcpTo8080, "-j", "REJECT", "--reject-with", "icmp-host-unreachable")}},
			to:    "pod/srv:8080", exit: v1alpha1.ExitFault, id: diagnose.IDHostUnreachable,
			names: []string{srvAddr, f.ns + "/srv"},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				if n := tcpResult(t, rep, srvAddr).TCP.Counts[v1alpha1.TCPUnreachable]; n == 0 {
					t.Errorf("no connect came back unreachable: %v", tcpResult(t, rep, srvAddr).TCP.Counts)
				}
				hasEvidence(t, fd, "EHOSTUNREACH")
			},
		},
		{
			name: "nothing listens on the port",
			to:   "pod/srv:8081", exit: v1alpha1.ExitFault, id: diagnose.IDPortNotListening,
			names: []string{"port 8081", f.ns + "/srv"},
			check: func(t *testing.T, rep *v1alpha1.Report, fd v1alpha1.Finding) {
				// The follow-up's socket table shows what does listen.
				hasEvidence(t, fd, "[::]:8080", "[::]:9000")
			},
		},
		{
			// Information, not a fault: the run passes.
			name:  "pod drops pings but serves TCP",
			rules: []rule{{srvNetns, []string{"-p", "icmp", "--icmp-type", "echo-request", "-j", "DROP"}}},
			to:    "pod/srv:8080", exit: v1alpha1.ExitOK, id: diagnose.IDICMPBlockedTCPOK,
			names: []string{srv.Status.PodIP, srvAddr},
		},
		{
			// One echo in three lost and nothing else wrong: no rule names a cause,
			// so the run is inconclusive rather than passed.
			name:  "pod loses one ping in three",
			rules: []rule{{srvNetns, []string{"-p", "icmp", "--icmp-type", "echo-request", "-m", "statistic", "--mode", "nth", "--every", "3", "--packet", "0", "-j", "DROP"}}},
			to:    "pod/srv:8080", exit: v1alpha1.ExitInconclusive, id: diagnose.IDCheckFailedUnexplained,
			names: []string{"icmp check failed", "2/3 replies"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range tc.rules {
				faults.IPTablesRule(t, r.netns, "filter", "INPUT", r.body...)
			}
			args := append([]string{"-n", f.ns, "client", "--to", tc.to}, tc.extra...)
			rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), tc.exit, args...)
			fd := requireFinding(t, rep, tc.id)
			mentions(t, fd, tc.names...)
			onlyFault(t, rep, tc.id)
			if tc.check != nil {
				tc.check(t, rep, fd)
			}
		})
	}
}
