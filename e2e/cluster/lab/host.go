package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// hostPackages are the Debian packages the lab needs: the runtime, etcd, the
// CNI plugins (bridge, host-local, portmap, loopback), netfilter tools, busybox,
// gcc for the static pause binary and tshark for tests that read captures.
var hostPackages = []string{
	"containerd", "runc", "containernetworking-plugins", "etcd-server", "etcd-client",
	"iptables", "conntrack", "busybox-static", "nftables", "iproute2", "gcc", "libc6-dev", "tshark",
}

// EnsurePackages installs the missing host packages with apt-get.
func EnsurePackages(ctx context.Context, log func(string, ...any)) error {
	var missing []string
	for _, p := range hostPackages {
		out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Status}", p).Output()
		if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "install ok installed") {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	log("installing host packages: %s", strings.Join(missing, " "))
	if _, err := run(ctx, "apt-get", "update", "-qq"); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	args := append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get install %s: %w\n%s", strings.Join(missing, " "), err, out)
	}
	return nil
}

// run executes a command and returns its stdout; errors carry stderr.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// runIn is run inside a node's network namespace ("" is the host's).
func runIn(ctx context.Context, netns, name string, args ...string) (string, error) {
	if netns == "" {
		return run(ctx, name, args...)
	}
	return run(ctx, "nsenter", append([]string{"--net=/run/netns/" + netns, "--", name}, args...)...)
}

// hostSysctls are the host settings the cluster changes: the harness sets
// ip_forward and the bridge-netfilter hooks; the kubelet sets the vm/kernel ones
// (protectKernelDefaults would make it refuse to start instead); kube-proxy may
// set route_localnet and the conntrack limits. down puts every one back.
var hostSysctls = []string{
	"net.ipv4.ip_forward",
	"net.bridge.bridge-nf-call-iptables",
	"net.bridge.bridge-nf-call-ip6tables",
	"net.ipv4.conf.all.route_localnet",
	"vm.overcommit_memory",
	"vm.panic_on_oom",
	"kernel.panic",
	"kernel.panic_on_oops",
	"kernel.keys.root_maxkeys",
	"kernel.keys.root_maxbytes",
	"net.netfilter.nf_conntrack_max",
	"net.netfilter.nf_conntrack_tcp_timeout_established",
	"net.netfilter.nf_conntrack_tcp_timeout_close_wait",
}

func sysctlPath(key string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
}

// ReadSysctl reads a sysctl of the caller's network namespace.
func ReadSysctl(key string) (string, error) {
	data, err := os.ReadFile(sysctlPath(key))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", key, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// WriteSysctl sets a sysctl of the caller's network namespace.
func WriteSysctl(key, value string) error {
	if err := os.WriteFile(sysctlPath(key), []byte(value), 0o644); err != nil {
		return fmt.Errorf("write sysctl %s=%s: %w", key, value, err)
	}
	return nil
}

// saveSysctlBaseline records the host sysctls before the cluster touches them.
// It keeps an existing record unless the lab is fully down, so a second `up`
// never mistakes the cluster's own values for the originals.
func (l *Lab) saveSysctlBaseline(fresh bool) error {
	if _, err := os.Stat(l.SysctlBaseline()); err == nil && !fresh {
		return nil
	}
	values := map[string]string{}
	for _, k := range hostSysctls {
		if v, err := ReadSysctl(k); err == nil {
			values[k] = v
		}
	}
	data, err := json.MarshalIndent(values, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(l.SysctlBaseline(), data, 0o644)
}

// loadSysctlBaseline returns the recorded originals.
func (l *Lab) loadSysctlBaseline() (map[string]string, error) {
	data, err := os.ReadFile(l.SysctlBaseline())
	if err != nil {
		return nil, fmt.Errorf("read sysctl baseline: %w", err)
	}
	values := map[string]string{}
	if err := json.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("parse %s: %w", l.SysctlBaseline(), err)
	}
	return values, nil
}

// restoreSysctls writes the recorded originals back. The record stays, so
// verify-clean can compare against it.
func (l *Lab) restoreSysctls() error {
	values, err := l.loadSysctlBaseline()
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for k, v := range values {
		if cur, err := ReadSysctl(k); err == nil && cur == v {
			continue
		}
		errs = append(errs, WriteSysctl(k, v))
	}
	return errors.Join(errs...)
}
