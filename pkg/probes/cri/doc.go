// Package cri answers "which process, and which network namespace, is this
// container or pod?" on a node without talking to the runtime: it finds a
// container's or a pod's processes through /proc/PID/cgroup (cgroup v1 and
// v2, systemd and cgroupfs drivers), parses the verbose info runtimes return,
// and defines the Sandbox the runtime reports. The CRI client that asks the
// runtime itself lives in package criclient; this is its fallback.
package cri
