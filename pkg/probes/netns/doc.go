// Package netns enters and enumerates Linux network namespaces without shelling
// out: open a namespace by path or PID, run a function inside it with the
// containernetworking ns.Do discipline, open a socket inside it that works from
// any goroutine afterwards (Socket, or Pinned for scans that visit thousands),
// get a netlink handle bound to it, and list every network namespace on the
// node (the `lsns -t net` the seed scripts used), also from inside a hostPID pod
// where the node's files are only reachable under /proc/1/root (HostPath).
//
// Why the ceremony: setns(2) switches only the calling OS thread, and the Go
// scheduler moves goroutines between threads. Code that enters a namespace must
// own its thread (runtime.LockOSThread) for as long as it is inside, must switch
// back before unlocking, and must never hand a thread it failed to switch back to
// the scheduler: that thread would silently run other goroutines in the wrong
// namespace. Sockets and netlink handles keep the namespace they were created in,
// so the cheap pattern is "enter, create the socket, leave" and then use the socket
// from anywhere.
package netns
