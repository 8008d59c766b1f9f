package faults

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The listing is real `iptables -t nat -S KUBE-SERVICES` output from the lab's node 1.
func TestRulesTo(t *testing.T) {
	listing := `-N KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
`
	want := [][]string{
		{"-d", "10.96.0.10/32", "-p", "udp", "-m", "comment", "--comment", "kube-system/kube-dns:dns cluster IP", "-m", "udp", "--dport", "53", "-j", "KUBE-SVC-TCOU7JCQXEZGVUNU"},
		{"-d", "10.96.0.10/32", "-p", "tcp", "-m", "comment", "--comment", "kube-system/kube-dns:dns-tcp cluster IP", "-m", "tcp", "--dport", "53", "-j", "KUBE-SVC-ERIFXISQEP7F7OF4"},
	}
	if diff := cmp.Diff(want, rulesTo(listing, "10.96.0.10")); diff != "" {
		t.Errorf("rulesTo (-want +got):\n%s", diff)
	}
	if got := rulesTo(listing, "10.96.0.1"); len(got) != 1 || got[0][len(got[0])-1] != "KUBE-SVC-NPX46M4PTMTKRN6Y" {
		t.Errorf("rulesTo 10.96.0.1 = %v: a prefix of another ClusterIP must not match", got)
	}
}

func TestSplitRule(t *testing.T) {
	got := splitRule(`-A X -m comment --comment "a \"quoted\" word" -j  ACCEPT`)
	want := []string{"-A", "X", "-m", "comment", "--comment", `a "quoted" word`, "-j", "ACCEPT"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("splitRule (-want +got):\n%s", diff)
	}
}
