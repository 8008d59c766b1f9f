// Package netnstest builds real network namespace fixtures for tests: fresh
// namespaces, ip-netns-style bind mounts, processes living in their own
// namespace, bridges and veth pairs. Everything is created through the kernel
// (unshare, mount, netlink) and removed by t.Cleanup, so tests never touch the
// host's own interfaces. All of it needs root: call SkipUnlessRoot first.
package netnstest
