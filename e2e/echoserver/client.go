package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// clientGet speaks HTTP/1.0 over a connection dialled on this goroutine, not
// through http.Client: the client's transport dials on other goroutines, which
// would escape the namespace -netns entered.
func clientGet(ctx context.Context, rawURL string, timeout time.Duration) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-get wants http://IP:PORT/PATH, got %q", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	c, err := dial(ctx, "tcp", host, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	path := u.RequestURI()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: echoserver\r\n\r\n", path, u.Host); err != nil {
		return fmt.Errorf("send request to %s: %w", host, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Errorf("read response from %s: %w", host, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		return fmt.Errorf("read body from %s: %w", host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return nil
}

func clientDial(ctx context.Context, addr string, timeout time.Duration) error {
	c, err := dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read greeting from %s: %w", addr, err)
	}
	fmt.Print(line)
	return nil
}

func clientUDP(addr string, size int, timeout time.Duration) error {
	c, err := net.DialTimeout("udp", addr, timeout)
	if err != nil {
		return fmt.Errorf("dial udp %s: %w", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(make([]byte, size)); err != nil {
		return fmt.Errorf("send %d bytes to %s: %w", size, addr, err)
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("read udp reply from %s: %w", addr, err)
	}
	fmt.Print(string(buf[:n]))
	return nil
}

func clientLookup(ctx context.Context, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return fmt.Errorf("lookup %s: %w", name, err)
	}
	fmt.Println(strings.Join(addrs, "\n"))
	return nil
}

// printInterfaces prints "name mtu=N addr/len ..." per interface.
func printInterfaces() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("list interfaces: %w", err)
	}
	for _, ifc := range ifaces {
		addrs, err := ifc.Addrs()
		if err != nil {
			return fmt.Errorf("addresses of %s: %w", ifc.Name, err)
		}
		parts := []string{ifc.Name, fmt.Sprintf("mtu=%d", ifc.MTU)}
		for _, a := range addrs {
			parts = append(parts, a.String())
		}
		fmt.Println(strings.Join(parts, " "))
	}
	return nil
}

func dial(ctx context.Context, network, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", network, addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	return c, nil
}
