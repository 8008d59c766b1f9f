// Package criclient talks CRI to the container runtime socket (containerd,
// CRI-O, k3s): container PIDs from a verbose ContainerStatus, every pod sandbox
// with its network namespace and pause PID, and the socket this node's kubelet
// uses. It speaks gRPC through internal/h2rpc with hand-written protobuf
// (protowire), not grpc-go and generated code, which would double the probe
// binary: the probe ships it, and node mode asks the runtime first, falling
// back to the cgroup scan of package cri.
package criclient
