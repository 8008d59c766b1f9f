// Package nsscan is the node-wide network namespace scan: the seed scripts'
// `lsns -t net | xargs nsenter ip addr`, done in-process in milliseconds. It
// lists every network namespace on the node (processes and bind mounts), reads
// each one's interfaces over netlink, ties it to the pod sandbox that owns it
// (CRI), and then looks for what only a node-wide view can show:
//
//   - an IP held by two namespaces: the classic leaked namespace that still
//     answers for a pod's address (with the same MAC, so arping -D sees
//     nothing and the Service is refused now and then);
//   - leaked namespaces: on the pod network but owned by no live sandbox;
//   - orphaned containerd shims: re-parented to PID 1, their sandbox gone.
//
// Check (name "nsscan") runs it from the node probe.
package nsscan
