package cri

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ErrNoPID means the runtime's verbose info carried no usable PID: the container
// is not running, or the runtime does not report one.
var ErrNoPID = errors.New("runtime reported no PID (container not running?)")

// verboseInfo is the part of the JSON a runtime puts in info["info"] of a
// Verbose status response that we read. containerd: {"pid":N,
// "runtimeSpec":{...},"sandboxMetadata":{"NetNSPath":...}}; CRI-O:
// {"pid":N,"runtimeSpec":{...}} (only runtimeSpec for a spoofed infra
// container, CRI-O's default without an infra process).
type verboseInfo struct {
	PID         int `json:"pid"`
	RuntimeSpec *struct {
		Linux *struct {
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	} `json:"runtimeSpec"`
	SandboxMetadata *struct {
		NetNSPath string `json:"NetNSPath"`
	} `json:"sandboxMetadata"`
	NetNSClosed bool `json:"netNamespaceClosed"`
}

func parseVerbose(info map[string]string) (verboseInfo, bool, error) {
	raw, ok := info["info"]
	if !ok {
		return verboseInfo{}, false, nil
	}
	var v verboseInfo
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return verboseInfo{}, true, fmt.Errorf("parse runtime verbose info: %w", err)
	}
	return v, true, nil
}

// PIDFromInfo extracts the container's (or sandbox's) process ID from the Info
// map of a Verbose ContainerStatus or PodSandboxStatus response. containerd and
// current CRI-O put a JSON object with "pid" under info["info"]; older CRI-O put
// "pid" as a decimal string at the top level.
func PIDFromInfo(info map[string]string) (int, error) {
	v, ok, err := parseVerbose(info)
	if err != nil {
		return 0, err
	}
	if ok && v.PID > 0 {
		return v.PID, nil
	}
	if s, ok := info["pid"]; ok {
		pid, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("parse runtime pid %q: %w", s, err)
		}
		if pid > 0 {
			return pid, nil
		}
	}
	return 0, ErrNoPID
}

// NetNSPathFromInfo extracts a sandbox's network namespace path from the Info
// map of a Verbose PodSandboxStatus response: the "network" namespace of the
// runtime spec, else containerd's sandboxMetadata.NetNSPath. It returns "" when
// the sandbox shares the host network (no network namespace path in the spec),
// or when containerd says the namespace was already closed.
func NetNSPathFromInfo(info map[string]string) (string, error) {
	v, ok, err := parseVerbose(info)
	if err != nil || !ok {
		return "", err
	}
	if v.NetNSClosed {
		return "", nil
	}
	if v.RuntimeSpec != nil && v.RuntimeSpec.Linux != nil {
		for _, ns := range v.RuntimeSpec.Linux.Namespaces {
			if ns.Type == "network" && ns.Path != "" {
				return ns.Path, nil
			}
		}
	}
	if v.SandboxMetadata != nil {
		return v.SandboxMetadata.NetNSPath, nil
	}
	return "", nil
}
