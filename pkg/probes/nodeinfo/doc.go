// Package nodeinfo is the "nodeinfo" check: a read-only snapshot of the node
// state pod traffic depends on, what the seeds gathered with sysctl, ip link,
// ip route, ip neigh, bridge fdb, iptables-save and conntrack -S, read here
// through procfs, netlink and the nftables netlink API (iptables-nft rules
// included, with their counters). It runs from the node pod (hostNetwork:
// the probe's namespace is the node's) and changes nothing. Judgement belongs
// to pkg/diagnose; the check only describes, and warns on the one fact that
// breaks every pod route (ip_forward=0).
package nodeinfo
