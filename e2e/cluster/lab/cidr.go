package lab

import (
	"fmt"
	"net"
)

// networkOf turns "10.244.1.1/24" into "10.244.1.0/24".
func networkOf(cidr string) (string, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return "", fmt.Errorf("parse %q: %w", cidr, err)
	}
	return n.String(), nil
}
