package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Reply is what the HTTP endpoint returns; tests decode it.
type Reply struct {
	// Remote is the client address as this server saw it (ip:port).
	Remote string `json:"remote"`
	// Local is the address the connection arrived on.
	Local    string `json:"local"`
	Hostname string `json:"hostname"`
	Path     string `json:"path"`
}

// serve listens on every address and blocks until ctx ends or a listener fails.
func serve(ctx context.Context, httpAddrs, tcpAddrs, udpAddrs []string) error {
	var closers []io.Closer
	errc := make(chan error, len(httpAddrs)+len(tcpAddrs)+len(udpAddrs))
	var wg sync.WaitGroup
	start := func(c io.Closer, loop func() error) {
		closers = append(closers, c)
		wg.Add(1)
		go func() { defer wg.Done(); errc <- loop() }()
	}
	defer func() {
		for _, c := range closers {
			_ = c.Close()
		}
		wg.Wait()
	}()

	host, _ := os.Hostname()
	for _, addr := range httpAddrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen http %s: %w", addr, err)
		}
		srv := &http.Server{Handler: replyHandler(host), ReadHeaderTimeout: 5 * time.Second,
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, localAddrKey{}, c.LocalAddr())
			}}
		log.Printf("http on %s", ln.Addr())
		start(srv, func() error { return ignoreClosed(srv.Serve(ln)) })
	}
	for _, addr := range tcpAddrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen tcp %s: %w", addr, err)
		}
		log.Printf("tcp on %s", ln.Addr())
		start(ln, func() error { return ignoreClosed(serveTCP(ln)) })
	}
	for _, addr := range udpAddrs {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("listen udp %s: %w", addr, err)
		}
		log.Printf("udp on %s", pc.LocalAddr())
		start(pc, func() error { return ignoreClosed(serveUDP(pc)) })
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

type localAddrKey struct{}

func replyHandler(host string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(localAddrKey{}).(net.Addr)
		rep := Reply{Remote: r.RemoteAddr, Hostname: host, Path: r.URL.Path}
		if local != nil {
			rep.Local = local.String()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	})
}

// serveTCP greets each connection with "remote=IP:PORT local=IP:PORT" and then
// echoes whatever the client sends, line by line, until it hangs up.
func serveTCP(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			if _, err := fmt.Fprintf(c, "remote=%s local=%s\n", c.RemoteAddr(), c.LocalAddr()); err != nil {
				return
			}
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				if _, err := fmt.Fprintf(c, "%s\n", sc.Text()); err != nil {
					return
				}
			}
		}()
	}
}

// serveUDP answers each datagram with "remote=IP:PORT len=N".
func serveUDP(pc net.PacketConn) error {
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		_, _ = pc.WriteTo(fmt.Appendf(nil, "remote=%s len=%d\n", from, n), from)
	}
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
