package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
	corev1 "k8s.io/api/core/v1"
)

// PodPID returns the host PID of a container's main process (the container's
// PID 1), found the way a node operator would: the container ID from the pod
// status matched in /proc/*/cgroup (the kubelet uses cgroupfs, so the path
// ends in .../pod<uid>/<container id>). Both nodes share the host PID
// namespace, so the PID is valid from the host and from hostPID pods on either
// node. container "" means the first container.
func PodPID(pod *corev1.Pod, container string) (int, error) {
	id, err := containerID(pod, container)
	if err != nil {
		return 0, err
	}
	pids, err := pidsInCgroup(id)
	if err != nil {
		return 0, err
	}
	// The main process is the one whose parent (the shim) is outside the container.
	for _, pid := range pids {
		ppid, err := parentPID(pid)
		if err != nil {
			continue
		}
		if in, _ := inCgroup(ppid, id); !in {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process of container %s (pod %s/%s) found in /proc", id, pod.Namespace, pod.Name)
}

// PodNetnsPath is /proc/<pid>/ns/net of the pod's first container: the pod's
// network namespace as nsenter and setns take it.
func PodNetnsPath(pod *corev1.Pod) (string, error) {
	pid, err := PodPID(pod, "")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/proc/%d/ns/net", pid), nil
}

// NodeOf is the lab node a pod runs on.
func NodeOf(pod *corev1.Pod) (lab.Node, error) {
	n, ok := lab.NodeByName(pod.Spec.NodeName)
	if !ok {
		return lab.Node{}, fmt.Errorf("pod %s/%s is on %q, not a lab node", pod.Namespace, pod.Name, pod.Spec.NodeName)
	}
	return n, nil
}

func containerID(pod *corev1.Pod, container string) (string, error) {
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.ContainerStatuses...), pod.Status.EphemeralContainerStatuses...)
	for _, s := range statuses {
		if container == "" || s.Name == container {
			_, id, ok := strings.Cut(s.ContainerID, "://")
			if !ok || id == "" {
				return "", fmt.Errorf("container %s of pod %s/%s has no ID yet", s.Name, pod.Namespace, pod.Name)
			}
			return id, nil
		}
	}
	return "", fmt.Errorf("pod %s/%s has no container %q in its status", pod.Namespace, pod.Name, container)
}

func pidsInCgroup(id string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if in, _ := inCgroup(pid, id); in {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// inCgroup reports whether a process's cgroup path names the container ID.
func inCgroup(pid int, id string) (bool, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return false, err
	}
	return strings.Contains(string(data), id), nil
}

func parentPID(pid int) (int, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// Fields after the ")" that closes the command name: state, ppid, ...
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.Atoi(f[1])
}
