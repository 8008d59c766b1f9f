package framework

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// A trimmed `iptables-save -t nat` of kube-proxy v1.33 with one service of two
// endpoints on port 80 and none programmed yet for port 9000.
const natDump = `*nat
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SERVICES -d 10.96.12.34/32 -p tcp -m comment --comment "ns/echo:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAA
-A KUBE-SVC-AAAA ! -s 10.244.0.0/16 -d 10.96.12.34/32 -p tcp -m comment --comment "ns/echo:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-AAAA -m comment --comment "ns/echo:http -> 10.244.0.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-ONE
-A KUBE-SVC-AAAA -m comment --comment "ns/echo:http -> 10.244.1.7:8080" -j KUBE-SEP-TWO
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -j KUBE-SEP-DNS
COMMIT
`

func TestProgrammedEndpoints(t *testing.T) {
	cases := []struct {
		ip   string
		port corev1.ServicePort
		want int
	}{
		{"10.96.12.34", corev1.ServicePort{Port: 80, Protocol: corev1.ProtocolTCP}, 2},
		{"10.96.12.34", corev1.ServicePort{Port: 9000, Protocol: corev1.ProtocolTCP}, 0},
		{"10.96.12.34", corev1.ServicePort{Port: 80, Protocol: corev1.ProtocolUDP}, 0},
		{"10.96.0.10", corev1.ServicePort{Port: 53, Protocol: corev1.ProtocolUDP}, 1},
	}
	for _, tc := range cases {
		if got := programmedEndpoints(natDump, tc.ip, tc.port); got != tc.want {
			t.Errorf("programmedEndpoints(%s, %d/%s) = %d, want %d", tc.ip, tc.port.Port, tc.port.Protocol, got, tc.want)
		}
	}
}
