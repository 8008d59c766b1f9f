// Package cri answers "which process, and which network namespace, is this
// container or pod?" on a node, without crictl: it talks CRI gRPC to the
// container runtime socket (containerd, CRI-O, k3s) and, when the socket is out
// of reach, falls back to finding the container's processes through
// /proc/PID/cgroup. It also lists every pod sandbox the runtime knows, so a
// network namespace can be told apart as "a live pod's" or "nobody's".
package cri
