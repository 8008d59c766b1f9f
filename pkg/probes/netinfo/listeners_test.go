package netinfo

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Captured from a real /proc/net/tcp: a listener on 127.0.0.1:8080, one on
// 0.0.0.0:22 and an established connection that must not show.
const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4321 1 0000000000000000 20 4 30 10 -1
`

const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
`

const procNetUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 0A00600A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5 2 0000000000000000 0
  101: 0100007F:E2A1 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 6 2 0000000000000000 0
`

func TestParseProcNet(t *testing.T) {
	for _, tc := range []struct {
		name, data, proto string
		state             int
		want              []v1alpha1.Listener
	}{
		{"tcp", procNetTCP, "tcp", stateListen, []v1alpha1.Listener{
			{Proto: "tcp", Addr: "127.0.0.1", Port: 8080}, {Proto: "tcp", Addr: "0.0.0.0", Port: 22}}},
		{"tcp6", procNetTCP6, "tcp6", stateListen, []v1alpha1.Listener{
			{Proto: "tcp6", Addr: "::", Port: 80}, {Proto: "tcp6", Addr: "::1", Port: 8081}}},
		{"udp bound, not connected", procNetUDP, "udp", stateClose, []v1alpha1.Listener{
			{Proto: "udp", Addr: "10.96.0.10", Port: 53}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcNet(strings.NewReader(tc.data), tc.proto, tc.state)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("-want +got\n%s", d)
			}
		})
	}
}

func TestParseProcNetRejectsGarbage(t *testing.T) {
	_, err := ParseProcNet(strings.NewReader("hdr\n 0: ZZZZ:0050 00000000:0000 0A\n"), "tcp", stateListen)
	if err == nil {
		t.Fatal("want an error for a non-hex address")
	}
}

// BenchmarkParseProcNetTCP parses a /proc/net/tcp of a busy node (2000 sockets).
func BenchmarkParseProcNetTCP(b *testing.B) {
	lines := strings.SplitAfter(procNetTCP, "\n")
	var sb strings.Builder
	sb.WriteString(lines[0])
	for range 1000 {
		sb.WriteString(lines[1])
		sb.WriteString(lines[3])
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProcNet(strings.NewReader(data), "tcp", stateListen); err != nil {
			b.Fatal(err)
		}
	}
}
