//go:build linux

package tcp

import (
	"context"
	"net"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// BenchmarkTCPCheck measures one default-sized check (20 connects, 5 at a time)
// against a loopback listener: the overhead the check adds on a healthy path.
func BenchmarkTCPCheck(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	c := &Check{}
	spec := v1alpha1.CheckSpec{ID: "b", Check: "tcp", TCP: &v1alpha1.TCPSpec{Address: ln.Addr().String()}}
	b.ReportAllocs()
	for b.Loop() {
		if res := c.Run(context.Background(), spec, nil); res.Status != v1alpha1.StatusPass {
			b.Fatalf("%s: %s", res.Status, res.Summary)
		}
	}
}
