package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The server must report exactly the address the client used: that is the
// whole point of the workload (source-IP preservation shows up in tests).
func TestTCPGreetsWithClientAddressThenEchoes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = serveTCP(ln) }()
	t.Cleanup(func() { _ = ln.Close() })

	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	greeting, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("remote=%s local=%s\n", c.LocalAddr(), c.RemoteAddr())
	if greeting != want {
		t.Errorf("greeting = %q, want %q", greeting, want)
	}
	fmt.Fprintln(c, "ping")
	if echo, _ := r.ReadString('\n'); echo != "ping\n" {
		t.Errorf("echo = %q, want ping", echo)
	}
}

func TestUDPAnswersWithClientAddressAndLength(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = serveUDP(pc) }()
	t.Cleanup(func() { _ = pc.Close() })

	c, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(make([]byte, 1400)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:n]), fmt.Sprintf("remote=%s len=1400\n", c.LocalAddr()); got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
}

func TestServeHTTPReportsRemoteAndLocal(t *testing.T) {
	// Grab a free port, then let serve() listen on it the way the pod does.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	_ = probe.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{addr}, nil, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, err = http.Get("http://" + addr + "/some/path")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep Reply
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Remote, "127.0.0.1:") || rep.Local != addr || rep.Path != "/some/path" {
		t.Errorf("reply = %+v, want remote 127.0.0.1:*, local %s, path /some/path", rep, addr)
	}
}

func TestSplitIgnoresBlanks(t *testing.T) {
	got := split(" :8080, ,127.0.0.1:9000,")
	if len(got) != 2 || got[0] != ":8080" || got[1] != "127.0.0.1:9000" {
		t.Errorf("split = %q", got)
	}
}
