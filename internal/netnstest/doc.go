// Package netnstest builds throw-away network topologies for probe tests: network
// namespaces, veth pairs, bridges, a router between two links of different MTU,
// servers (TCP, UDP, DNS) listening inside a namespace and iptables rules inside a
// namespace. Everything a fixture creates is removed in t.Cleanup, and nothing is
// ever created in the host namespace, so tests can run beside other work.
//
// Fixtures need root; gate tests with SkipUnlessRoot. Setup shells out to ip(8)
// and iptables(8) on purpose: it plays the operator who injects the fault, while
// the code under test must do its own work through syscalls.
package netnstest
