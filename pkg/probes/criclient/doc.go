// Package criclient talks CRI gRPC to the container runtime socket
// (containerd, CRI-O, k3s): container PIDs from a verbose ContainerStatus,
// every pod sandbox with its network namespace and pause PID. It pulls in
// google.golang.org/grpc, which doubles the probe binary, so the probe does
// not import it: node mode gets pod ownership from the API server and cgroups
// instead (nsscan with NSScanSpec.Pods). Builds tagged netcheck_cri, tests and
// non-probe tools use it.
package criclient
