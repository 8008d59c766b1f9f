// Package nsscan is the node-wide network namespace scan: the seed scripts'
// `lsns -t net | xargs nsenter ip addr`, done in-process in milliseconds. It
// lists every network namespace on the node (processes and bind mounts), reads
// each one's interfaces over netlink, ties it to the pod that owns it (the API
// server's pods on the node, matched by the cgroups of the namespace's
// processes or by pod IP; or the runtime's sandboxes over CRI in builds that
// carry a CRI client), and then looks for what only a node-wide view can show:
//
//   - an IP held by two namespaces: the classic leaked namespace that still
//     answers for a pod's address (with the same MAC, so arping -D sees
//     nothing and the Service is refused now and then);
//   - leaked namespaces: on the pod network but owned by no live pod;
//   - orphaned containerd shims: re-parented to PID 1, their pod gone.
//
// Check (name "nsscan") runs it from the node probe.
package nsscan
