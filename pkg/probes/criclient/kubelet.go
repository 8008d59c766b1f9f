package criclient

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// KubeletRuntime is the runtime endpoint the kubelet of this node uses.
type KubeletRuntime struct {
	// PID is the kubelet's process.
	PID int
	// Endpoint is as the kubelet names it: "unix:///run/containerd/containerd.sock".
	Endpoint string
	// Socket is the path this process dials: Endpoint's path under the
	// kubelet's own root (procRoot/PID/root), symlinks resolved inside it.
	Socket string
	// From says where Endpoint came from: the flag, or the config file.
	From string
}

// ErrNoKubelet means no kubelet process shares the given network namespace.
var ErrNoKubelet = errors.New("no kubelet process in this network namespace")

// FindKubeletRuntime finds the kubelet of this node among procRoot's
// processes and reads the runtime endpoint it was given. The node agent is
// hostNetwork, so this node's kubelet is the "kubelet" process whose network
// namespace is netNS (the probe's own): on a host running several nodes (kind,
// the local two-node lab) each kubelet sits in its node's namespace. The
// endpoint is --container-runtime-endpoint, else containerRuntimeEndpoint in
// the --config file, read through the kubelet's root.
func FindKubeletRuntime(procRoot string, netNS uint64) (KubeletRuntime, error) {
	procRoot = strings.TrimSuffix(procRoot, "/")
	if procRoot == "" {
		procRoot = "/proc"
	}
	pids, err := netns.ListPIDs(procRoot)
	if err != nil {
		return KubeletRuntime{}, err
	}
	var buf [512]byte
	for _, pid := range pids {
		p, err := netns.ReadProcessBuf(procRoot, pid, buf[:])
		if err != nil || p.Comm != "kubelet" {
			continue
		}
		id, err := netns.StatID(fmt.Sprintf("%s/%d/ns/net", procRoot, pid))
		if err != nil || id.Ino != netNS {
			continue
		}
		args, err := netns.ReadCmdline(procRoot, pid)
		if err != nil {
			return KubeletRuntime{}, fmt.Errorf("kubelet %d: %w", pid, err)
		}
		return kubeletEndpoint(procRoot, pid, args)
	}
	return KubeletRuntime{}, fmt.Errorf("%w (net:[%d], scanned %s)", ErrNoKubelet, netNS, procRoot)
}

func kubeletEndpoint(procRoot string, pid int, args []string) (KubeletRuntime, error) {
	kr := KubeletRuntime{PID: pid}
	root := procRoot + "/" + strconv.Itoa(pid) + "/root"
	if ep := flagArg(args, "container-runtime-endpoint"); ep != "" {
		kr.Endpoint, kr.From = ep, "kubelet flag --container-runtime-endpoint"
	} else if cfg := flagArg(args, "config"); cfg != "" {
		if !path.IsAbs(cfg) {
			// Relative to the kubelet's working directory.
			if cwd, err := os.Readlink(procRoot + "/" + strconv.Itoa(pid) + "/cwd"); err == nil {
				cfg = path.Join(cwd, cfg)
			}
		}
		p, err := netns.HostPath(root, cfg)
		if err != nil {
			return kr, err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return kr, fmt.Errorf("kubelet %d config: %w", pid, err)
		}
		kr.Endpoint, kr.From = configRuntimeEndpoint(data), "kubelet config "+cfg
	}
	if kr.Endpoint == "" {
		return kr, fmt.Errorf("kubelet %d names no container runtime endpoint (neither --container-runtime-endpoint nor containerRuntimeEndpoint in --config)", pid)
	}
	sock, ok := strings.CutPrefix(kr.Endpoint, "unix://")
	if !ok && strings.Contains(kr.Endpoint, "://") {
		return kr, fmt.Errorf("kubelet %d runtime endpoint %q is not a unix socket", pid, kr.Endpoint)
	}
	p, err := netns.HostPath(root, sock)
	if err != nil {
		return kr, err
	}
	kr.Socket = p
	return kr, nil
}

// flagArg reads "--name=value" or "--name value" (one or two dashes).
func flagArg(args []string, name string) string {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// configRuntimeEndpoint reads containerRuntimeEndpoint from a
// KubeletConfiguration file, which the kubelet accepts as YAML or as JSON.
func configRuntimeEndpoint(data []byte) string {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		var cfg struct {
			ContainerRuntimeEndpoint string `json:"containerRuntimeEndpoint"`
		}
		if json.Unmarshal(trimmed, &cfg) == nil {
			return cfg.ContainerRuntimeEndpoint
		}
	}
	return topLevelYAMLValue(data, "containerRuntimeEndpoint")
}

// topLevelYAMLValue reads "key: value" at the start of a line (a top-level
// key of a KubeletConfiguration), quotes and a trailing comment removed. A
// line scan is enough for one scalar and keeps a YAML library out of the probe.
func topLevelYAMLValue(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
			if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
				return v[1 : end+1]
			}
		}
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		return v
	}
	return ""
}
