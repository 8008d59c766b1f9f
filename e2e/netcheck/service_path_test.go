//go:build e2e

package netcheck

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/faults"
	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/framework"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose"
	corev1 "k8s.io/api/core/v1"
)

// Issue #3, healthy: pod -> svc/web with one backend per node. Everything
// passes: the ClusterIP and each endpoint connect every time, ICMP and the DF
// sweep fit the 1500-byte path, DNS resolves the name to the ClusterIP.
func TestHealthyServicePath(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "healthy")
	rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), v1alpha1.ExitOK, "-n", f.ns, "client", "--to", "svc/web")

	if rep.Verdict.Status != v1alpha1.VerdictOK {
		t.Errorf("verdict %s: %s", rep.Verdict.Status, rep.Verdict.Summary)
	}
	noFaults(t, rep)
	if rep.Source.Pod != "client" || rep.Source.Node != lab.Node1.Name || rep.Mode != "pod" {
		t.Errorf("source %s on %s, mode %s; want client on %s in pod mode", rep.Source.Pod, rep.Source.Node, rep.Mode, lab.Node1.Name)
	}
	if len(rep.Targets) != 1 || len(rep.Targets[0].Endpoint) != 2 {
		t.Fatalf("targets %+v: want svc/web with 2 endpoints", rep.Targets)
	}
	for _, p := range []*corev1.Pod{f.web1, f.web2} {
		ep := endpointOf(t, rep.Targets[0], p)
		if !ep.Ready || ep.Node != p.Spec.NodeName {
			t.Errorf("endpoint %+v: want ready, on %s", ep, p.Spec.NodeName)
		}
		tcp := tcpResult(t, rep, fmt.Sprintf("%s:%d", p.Status.PodIP, framework.EchoHTTPPort))
		if tcp.Status != v1alpha1.StatusPass || tcp.TCP.Counts[v1alpha1.TCPOK] != len(tcp.TCP.Attempts) || len(tcp.TCP.Attempts) == 0 {
			t.Errorf("endpoint %s: %s %s (counts %v)", p.Name, tcp.Status, tcp.Summary, tcp.TCP.Counts)
		}
		icmp := icmpResult(t, rep, p.Status.PodIP)
		if icmp.Status != v1alpha1.StatusPass || icmp.ICMP.Received != icmp.ICMP.Sent {
			t.Errorf("icmp to %s: %s %s", p.Name, icmp.Status, icmp.Summary)
		}
		if m := icmp.ICMP.MTU; m == nil || m.Outcome != v1alpha1.MTUFits || m.PathMTU != m.InterfaceMTU {
			t.Errorf("DF sweep to %s: %+v, want the interface MTU to fit", p.Name, m)
		}
	}
	front := tcpResult(t, rep, fmt.Sprintf("%s:80", f.svc.Spec.ClusterIP))
	if front.Status != v1alpha1.StatusPass {
		t.Errorf("ClusterIP: %s %s", front.Status, front.Summary)
	}
	dns := resultsOf(rep, v1alpha1.CheckDNS)
	if len(dns) == 0 {
		t.Fatal("no DNS check for a Service target")
	}
	for _, d := range dns {
		if d.Status != v1alpha1.StatusPass || len(d.DNS.Addresses) != 1 || d.DNS.Addresses[0] != f.svc.Spec.ClusterIP {
			t.Errorf("dns %s: %s %s, addresses %v, want %s", d.DNS.Name, d.Status, d.Summary, d.DNS.Addresses, f.svc.Spec.ClusterIP)
		}
	}
}

// Issue #3: one backend's network namespace REJECTs the port (the iptables
// default, ICMP port-unreachable). The finding is the refusing endpoint, named
// by pod and node. Past a burst of 6 the rejecting kernel rate-limits its ICMP
// errors, so most connects time out rather than being refused: the diagnosis
// must still call it a refusal.
func TestOneEndpointRejects(t *testing.T) {
	c := framework.Get(t)
	f := newWebFixture(t, c, "refused")
	faults.IPTablesRule(t, podNetns(t, f.web2), "filter", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "REJECT")

	rep := netcheckJSON(t, c, framework.Context(t, 2*time.Minute), v1alpha1.ExitFault, "-n", f.ns, "client", "--to", "svc/web")
	fd := requireFinding(t, rep, diagnose.IDEndpointRefused)
	mentions(t, fd, f.ns+"/web-2", lab.Node2.Name, f.web2.Status.PodIP)
	if strings.Contains(fd.Hop+fd.Summary, "web-1") {
		t.Errorf("the healthy backend is blamed: %s / %s", fd.Summary, fd.Hop)
	}
	if !strings.Contains(rep.Verdict.Summary, diagnose.IDEndpointRefused) {
		t.Errorf("the verdict does not lead with %s: %s", diagnose.IDEndpointRefused, rep.Verdict.Summary)
	}
	dead := tcpResult(t, rep, fmt.Sprintf("%s:8080", f.web2.Status.PodIP))
	if dead.TCP.Counts[v1alpha1.TCPOK] != 0 || dead.TCP.Counts[v1alpha1.TCPRefused] == 0 {
		t.Errorf("web-2: counts %v, want no connect and some refused", dead.TCP.Counts)
	}
	if live := tcpResult(t, rep, fmt.Sprintf("%s:8080", f.web1.Status.PodIP)); live.Status != v1alpha1.StatusPass {
		t.Errorf("web-1: %s %s", live.Status, live.Summary)
	}
}

// Issue #3: a quarter of the SYNs to one backend are rejected at random. The
// intermittent finding names that backend and its failure rate; the rate in
// the evidence must agree with the probe's own counts and lie near 25%.
func TestOneEndpointRejectsAQuarter(t *testing.T) {
	const count = 200
	c := framework.Get(t)
	f := newWebFixture(t, c, "intermittent")
	addr := fmt.Sprintf("%s:8080", f.web2.Status.PodIP)
	for _, tc := range []struct {
		name string
		with []string
	}{
		// An RST per rejected SYN: every failure is a refusal.
		{"tcp-reset", []string{"--reject-with", "tcp-reset"}},
		// The iptables default: ICMP port-unreachable, rate-limited past a
		// burst, so most rejected SYNs time out instead.
		{"icmp-port-unreachable", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// --syn: a quarter of the connections is refused. Without it a quarter
			// of every packet is, and an established connection whose handshake
			// ACK is rejected shows up as a reset instead.
			rule := append([]string{"-p", "tcp", "--dport", "8080", "--syn", "-m", "statistic", "--mode", "random",
				"--probability", "0.25", "-j", "REJECT"}, tc.with...)
			faults.IPTablesRule(t, podNetns(t, f.web2), "filter", "INPUT", rule...)

			rep := netcheckJSON(t, c, framework.Context(t, 3*time.Minute), v1alpha1.ExitFault,
				"-n", f.ns, "client", "--to", "svc/web", "--count", strconv.Itoa(count))
			fd := requireFinding(t, rep, diagnose.IDTCPIntermittentRefused)
			mentions(t, fd, f.ns+"/web-2", lab.Node2.Name)

			res := tcpResult(t, rep, addr)
			total, ok := len(res.TCP.Attempts), res.TCP.Counts[v1alpha1.TCPOK]
			if total != count {
				t.Fatalf("web-2: %d attempts, want %d", total, count)
			}
			failed, of, rate := rateFor(t, fd, f.ns+"/web-2")
			if failed != total-ok || of != total {
				t.Errorf("evidence says %d of %d failed, the probe counted %d of %d (%v)", failed, of, total-ok, total, res.TCP.Counts)
			}
			// Binomial(200, 0.25): mean 50, sd 6.1; 10%..45% (20..90) is over 4 sd either side.
			if rate < 10 || rate > 45 {
				t.Errorf("web-2 failure rate %.0f%%, want about 25%% (10..45)", rate)
			}
			refused, timedOut := res.TCP.Counts[v1alpha1.TCPRefused], res.TCP.Counts[v1alpha1.TCPTimeout]
			switch tc.name {
			case "tcp-reset":
				if refused != total-ok {
					t.Errorf("counts %v: with tcp-reset every failure is a refusal", res.TCP.Counts)
				}
			default:
				if refused == 0 || refused+timedOut != total-ok {
					t.Errorf("counts %v: want refusals (the ICMP burst) and timeouts only", res.TCP.Counts)
				}
			}
			if live := tcpResult(t, rep, fmt.Sprintf("%s:8080", f.web1.Status.PodIP)); live.TCP.Counts[v1alpha1.TCPOK] != count {
				t.Errorf("web-1: %s, want %d/%d", live.Summary, count, count)
			}
		})
	}
}

// rateLine matches the failure rate in an evidence line:
// "... (pod ns/web-2): 50 of 200 refused (25%)" or "60 of 200 failed (30%): 53 timed out, 7 refused".
var rateLine = regexp.MustCompile(`: (\d+) of (\d+) (?:refused|failed) \((\d+(?:\.\d)?)%\)`)

// rateFor parses the failure rate of the evidence line about pod.
func rateFor(t *testing.T, f v1alpha1.Finding, pod string) (failed, total int, pct float64) {
	t.Helper()
	for _, e := range f.Evidence {
		if !strings.Contains(e, "pod "+pod+")") {
			continue
		}
		if m := rateLine.FindStringSubmatch(e); m != nil {
			failed, _ = strconv.Atoi(m[1])
			total, _ = strconv.Atoi(m[2])
			pct, _ = strconv.ParseFloat(m[3], 64)
			return failed, total, pct
		}
	}
	t.Fatalf("no failure rate for pod %s in the evidence:\n  %s", pod, strings.Join(f.Evidence, "\n  "))
	return 0, 0, 0
}

// endpointOf is the resolved endpoint of a Service target backed by pod p.
func endpointOf(t *testing.T, target v1alpha1.Target, p *corev1.Pod) v1alpha1.Endpoint {
	t.Helper()
	for _, ep := range target.Endpoint {
		if ep.Pod == p.Name {
			if ep.IP != p.Status.PodIP {
				t.Errorf("endpoint %s has IP %s, the pod %s", p.Name, ep.IP, p.Status.PodIP)
			}
			return ep
		}
	}
	t.Fatalf("%s has no endpoint for pod %s: %+v", target.Spec, p.Name, target.Endpoint)
	return v1alpha1.Endpoint{}
}
