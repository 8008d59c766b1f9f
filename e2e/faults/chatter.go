package faults

import (
	"net"
	"testing"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// Chatter sends a small UDP datagram to addr from inside the network
// namespace at netnsPath every interval until the test ends, as a live pod's
// own traffic would. A pod that never sends anything never reminds the node's
// bridge where its MAC lives; two namespaces sharing an IP and MAC fight over
// it only when both talk (LeakedNetns with a pinging command is the other side).
func Chatter(t testing.TB, netnsPath, addr string, every time.Duration) {
	t.Helper()
	ns, err := netns.Open(netnsPath)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	var conn net.Conn
	err = ns.Do(func() error {
		var err error
		conn, err = net.Dial("udp", addr)
		return err
	})
	ns.Close()
	if err != nil {
		t.Fatalf("faults: udp to %s from %s: %v", addr, netnsPath, err)
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			_, _ = conn.Write([]byte("netcheck e2e chatter"))
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	t.Logf("faults: %s sends a datagram to %s every %s", netnsPath, addr, every)
	t.Cleanup(func() {
		close(done)
		<-finished
		conn.Close()
	})
}
