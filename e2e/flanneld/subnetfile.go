package main

import (
	"math/big"
	"net"
	"os"
	"strings"

	"github.com/flannel-io/flannel/pkg/ip"
	"github.com/joho/godotenv"
)

// previous holds what an earlier run wrote to subnet.env. Upstream passes these
// to the masquerade setup so rules for an old lease get deleted on restart.
type previous struct {
	network, subnet         ip.IP4Net
	ipv6Network, ipv6Subnet ip.IP6Net
}

func readSubnetFile(path string) previous {
	p := previous{
		ipv6Network: ip.IP6Net{IP: (*ip.IP6)(big.NewInt(0))},
		ipv6Subnet:  ip.IP6Net{IP: (*ip.IP6)(big.NewInt(0))},
	}
	if _, err := os.Stat(path); err != nil {
		return p
	}
	vals, err := godotenv.Read(path)
	if err != nil {
		return p
	}
	if n, ok := cidr(vals["FLANNEL_NETWORK"]); ok {
		p.network = ip.FromIPNet(n)
	}
	if n, ok := cidr(vals["FLANNEL_SUBNET"]); ok {
		p.subnet = ip.FromIPNet(n)
	}
	if n, ok := cidr(vals["FLANNEL_IPV6_NETWORK"]); ok {
		p.ipv6Network = ip.FromIP6Net(n)
	}
	if n, ok := cidr(vals["FLANNEL_IPV6_SUBNET"]); ok {
		p.ipv6Subnet = ip.FromIP6Net(n)
	}
	return p
}

// cidr parses a single CIDR; upstream treats lists or garbage as "no previous value".
func cidr(s string) (*net.IPNet, bool) {
	if s == "" || strings.Contains(s, ",") {
		return nil, false
	}
	_, n, err := net.ParseCIDR(s)
	return n, err == nil
}
