// Package faults injects network faults into the lab cluster for e2e tests.
// Every injection registers its undo with t.Cleanup, so the cluster is restored
// even when the test fails halfway; an injection that cannot be set up fails
// the test at once.
//
// Faults act where an operator would: inside a node's network namespace
// (lab.Node.NetnsPath()) or a pod's (framework.PodNetnsPath). Netlink changes
// (MTU, neighbours, FDB) and sysctls are made from Go inside the namespace;
// iptables rules go through the iptables binary under nsenter, as an operator
// would add them.
package faults
