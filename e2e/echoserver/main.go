// Command echoserver is the e2e test workload. As a server it tells every client
// the address it came from, so a test can see whether the source IP survived the
// path (pod-to-pod over VXLAN keeps it; SNAT replaces it). As a client it gives
// test pods, which have no shell, what they need: HTTP GET, TCP and UDP round
// trips, name lookups and an interface list, optionally from inside another
// network namespace (-netns, for a hostPID pod entering a pod's namespace).
//
//	echoserver -http :8080 -tcp :9000 -udp :9000      serve (the default is -http :8080)
//	echoserver -http 127.0.0.1:8080                   a pod that listens on loopback only
//	echoserver -get http://10.244.1.5:8080/           print the reply body
//	echoserver -dial 10.244.1.5:9000                  print the TCP greeting line
//	echoserver -udp-send 10.244.1.5:9000 -size 1400   print the UDP reply
//	echoserver -lookup web.default.svc.cluster.local  print the addresses
//	echoserver -netns /proc/42/ns/net -interfaces     list addresses inside pid 42's netns
//	echoserver -idle                                  block forever (a placeholder container)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	httpAddrs, tcpAddrs, udpAddrs string
	get, dial, udpSend, lookup    string
	size                          int
	interfaces, idle              bool
	netns                         string
	timeout                       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.httpAddrs, "http", "", "comma-separated HTTP listen addresses (default :8080 when nothing else is asked)")
	flag.StringVar(&o.tcpAddrs, "tcp", "", "comma-separated TCP listen addresses: greet with the client address, then echo")
	flag.StringVar(&o.udpAddrs, "udp", "", "comma-separated UDP listen addresses: answer each datagram with the client address")
	flag.StringVar(&o.get, "get", "", "client: HTTP GET this http://IP:PORT/PATH URL and print the body")
	flag.StringVar(&o.dial, "dial", "", "client: connect to this TCP IP:PORT and print the greeting line")
	flag.StringVar(&o.udpSend, "udp-send", "", "client: send one datagram of -size bytes to this IP:PORT and print the reply")
	flag.IntVar(&o.size, "size", 64, "client: UDP payload size in bytes")
	flag.StringVar(&o.lookup, "lookup", "", "client: resolve this name with the pod's resolv.conf and print the addresses")
	flag.BoolVar(&o.interfaces, "interfaces", false, "client: print each interface with its addresses")
	flag.StringVar(&o.netns, "netns", "", "enter this network namespace (e.g. /proc/PID/ns/net) before a client action")
	flag.BoolVar(&o.idle, "idle", false, "block until signalled, doing nothing")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Second, "client: give up after this long")
	flag.Parse()

	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if o.netns != "" {
		// Client actions run on this goroutine, which now stays on a thread
		// inside the target namespace; sockets opened here live there.
		if err := enterNetns(o.netns); err != nil {
			return err
		}
	}
	switch {
	case o.get != "":
		return clientGet(ctx, o.get, o.timeout)
	case o.dial != "":
		return clientDial(ctx, o.dial, o.timeout)
	case o.udpSend != "":
		return clientUDP(o.udpSend, o.size, o.timeout)
	case o.lookup != "":
		return clientLookup(ctx, o.lookup, o.timeout)
	case o.interfaces:
		return printInterfaces()
	case o.idle:
		<-ctx.Done()
		return nil
	}
	if o.httpAddrs == "" && o.tcpAddrs == "" && o.udpAddrs == "" {
		o.httpAddrs = ":8080"
	}
	return serve(ctx, split(o.httpAddrs), split(o.tcpAddrs), split(o.udpAddrs))
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
