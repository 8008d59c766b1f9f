//go:build linux

package netnstest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// ListenTCP opens a TCP listener inside the namespace on addr ("10.250.1.2:0")
// and serves it until the test ends: each accepted connection is read until EOF
// and closed, so a connect test sees an orderly peer. It returns the bound address.
func (n *NS) ListenTCP(t testing.TB, addr string) string {
	t.Helper()
	var ln net.Listener
	if err := n.Do(func() (err error) { ln, err = net.Listen(family("tcp", addr), addr); return err }); err != nil {
		t.Fatalf("listen tcp %s in %s: %v", addr, n.Name, err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by cleanup
			}
			go func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// ListenUDP binds a UDP socket inside the namespace and echoes every datagram
// back until the test ends. It returns the bound address.
func (n *NS) ListenUDP(t testing.TB, addr string) string {
	t.Helper()
	var pc net.PacketConn
	if err := n.Do(func() (err error) { pc, err = net.ListenPacket(family("udp", addr), addr); return err }); err != nil {
		t.Fatalf("listen udp %s in %s: %v", addr, n.Name, err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:k], from)
		}
	}()
	return pc.LocalAddr().String()
}

// family pins an IPv4 literal to "tcp4"/"udp4": Go would make "0.0.0.0" a
// dual-stack socket that /proc shows as "::", and tests want what they asked for.
func family(network, addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		return network + "4"
	}
	return network
}

// DNSServer is a miekg/dns server running inside a namespace on UDP and/or TCP.
type DNSServer struct {
	// Addr is "ip:port", the same port on both transports.
	Addr string
}

// ServeDNS runs handler inside the namespace at addr ("10.250.1.2:53") over the
// given transports ("udp", "tcp"); a transport left out has no listener, so
// queries over it are refused. Servers stop when the test ends.
func (n *NS) ServeDNS(t testing.TB, addr string, handler dns.Handler, transports ...string) *DNSServer {
	t.Helper()
	if len(transports) == 0 {
		transports = []string{"udp", "tcp"}
	}
	srv := &DNSServer{Addr: addr}
	for _, tr := range transports {
		s := &dns.Server{Net: tr, Handler: handler}
		err := n.Do(func() error {
			switch tr {
			case "udp":
				pc, err := net.ListenPacket("udp", addr)
				s.PacketConn = pc
				return err
			case "tcp":
				ln, err := net.Listen("tcp", addr)
				s.Listener = ln
				return err
			}
			return errors.New("unknown transport " + tr)
		})
		if err != nil {
			t.Fatalf("dns %s listen %s in %s: %v", tr, addr, n.Name, err)
		}
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		done := make(chan struct{})
		go func() { defer close(done); _ = s.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = s.Shutdown(); <-done })
	}
	return srv
}

// StaticZone answers A/AAAA queries from a fixed map of FQDN -> addresses and
// NXDOMAIN for every other name: a stand-in for a healthy cluster DNS.
type StaticZone map[string][]string

// ServeDNS implements dns.Handler.
func (z StaticZone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	q := r.Question[0]
	addrs, ok := z[dns.CanonicalName(q.Name)]
	if !ok {
		m.Rcode = dns.RcodeNameError
	}
	for _, a := range addrs {
		ip := net.ParseIP(a)
		switch {
		case q.Qtype == dns.TypeA && ip.To4() != nil:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: ip})
		case q.Qtype == dns.TypeAAAA && ip.To4() == nil:
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 30}, AAAA: ip})
		}
	}
	_ = w.WriteMsg(m)
}

// Rcode answers every query with the same rcode, e.g. dns.RcodeServerFailure
// for a broken CoreDNS replica.
type Rcode int

// ServeDNS implements dns.Handler.
func (rc Rcode) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetRcode(r, int(rc))
	_ = w.WriteMsg(m)
}

// Silent never answers: a replica that accepts queries and drops them.
type Silent struct{}

// ServeDNS implements dns.Handler by writing nothing.
func (Silent) ServeDNS(dns.ResponseWriter, *dns.Msg) {}
