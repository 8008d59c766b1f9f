package framework

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// LinkByName reads a link, with its counters, from a network namespace (a
// node's lab.Node.NetnsPath() or a pod's PodNetnsPath).
func LinkByName(netnsPath, name string) (netlink.Link, error) {
	ns, err := netns.Open(netnsPath)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("link %s in %s: %w", name, netnsPath, err)
	}
	return link, nil
}

// DialFrom opens a connection from inside a network namespace (a node's
// lab.Node.NetnsPath(), or a pod's PodNetnsPath); "" dials from the test's own
// namespace (node 1). The socket is created inside the namespace and stays
// there, so the returned conn can be used from any goroutine. addr must be an
// IP literal: name resolution would escape the namespace.
func DialFrom(netnsPath, network, addr string, timeout time.Duration) (net.Conn, error) {
	if netnsPath == "" {
		return net.DialTimeout(network, addr, timeout)
	}
	ns, err := netns.Open(netnsPath)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	var c net.Conn
	err = ns.Do(func() error {
		var err error
		c, err = net.DialTimeout(network, addr, timeout)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s %s from %s: %w", network, addr, netnsPath, err)
	}
	return c, nil
}

// EchoReply is the echo server's HTTP answer.
type EchoReply struct {
	Remote   string `json:"remote"`
	Local    string `json:"local"`
	Hostname string `json:"hostname"`
	Path     string `json:"path"`
}

// RemoteIP is the client IP the server saw.
func (r EchoReply) RemoteIP() string {
	host, _, _ := net.SplitHostPort(r.Remote)
	return host
}

// EchoGet asks an echo server at addr (IP:port) over HTTP from inside a
// network namespace ("" for node 1) and returns its answer.
func EchoGet(netnsPath, addr string, timeout time.Duration) (EchoReply, error) {
	c, err := DialFrom(netnsPath, "tcp", addr, timeout)
	if err != nil {
		return EchoReply{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr); err != nil {
		return EchoReply{}, fmt.Errorf("send to %s: %w", addr, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return EchoReply{}, fmt.Errorf("read from %s: %w", addr, err)
	}
	defer resp.Body.Close()
	var rep EchoReply
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return EchoReply{}, fmt.Errorf("decode reply from %s: %w", addr, err)
	}
	return rep, nil
}

// ParseEchoReply decodes what `echoserver -get` printed in a pod.
func ParseEchoReply(out string) (EchoReply, error) {
	var rep EchoReply
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		return rep, fmt.Errorf("decode echo reply %q: %w", out, err)
	}
	return rep, nil
}
