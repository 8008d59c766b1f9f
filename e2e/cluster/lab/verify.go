package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
)

// VerifyClean checks that nothing of the lab is left on the machine after down
// and returns one line per leftover (none means clean). It checks:
//   - processes: daemons, shims, containers, anything in node 2's namespace,
//     recorded leaks (labProcesses);
//   - mounts under the lab folder, pod and node network namespaces;
//   - links (cni0, flannel.1, the veth, the sink bridge), addresses and routes
//     of the lab ranges;
//   - iptables/ip6tables chains KUBE-*, FLANNEL-*, CNI-*; the nft guard table
//     and any kube-proxy nft table;
//   - conntrack entries of the pod range;
//   - the nodes' cgroup roots in every hierarchy;
//   - host sysctls against the values recorded before the first up;
//   - per-run state folders and host files (container log links, CNI cache).
func (l *Lab) VerifyClean(ctx context.Context) []string {
	var left []string
	add := func(format string, args ...any) { left = append(left, fmt.Sprintf(format, args...)) }

	for _, pid := range l.labProcesses() {
		if alive(pid) {
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			add("process %d still runs: %s", pid, strings.ReplaceAll(strings.TrimSpace(string(cmd)), "\x00", " "))
		}
	}
	if mounts, err := l.labMounts(); err != nil {
		add("cannot read mounts: %v", err)
	} else {
		for _, m := range mounts {
			add("mount left: %s", m)
		}
	}
	for _, n := range Nodes {
		if exists(n.NetnsPath()) {
			add("network namespace name left: %s", n.NetnsPath())
		}
	}
	for _, name := range []string{"cni0", "flannel.1", HostVeth, SinkBridge} {
		if _, err := netlink.LinkByName(name); err == nil {
			add("link left: %s", name)
		}
	}
	left = append(left, labAddressesAndRoutes()...)
	if chains, err := labChainsLeft(ctx); err != nil {
		add("cannot read iptables: %v", err)
	} else {
		for _, c := range chains {
			add("iptables chain left: %s", c)
		}
	}
	if out, err := run(ctx, "nft", "list", "tables"); err != nil {
		add("cannot list nft tables: %v", err)
	} else {
		for _, t := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.HasSuffix(t, " "+GuardTable) || strings.HasSuffix(t, " kube-proxy") {
				add("nft %s left", t)
			}
		}
	}
	if out, _ := run(ctx, "conntrack", "-L", "-s", PodCIDR); strings.TrimSpace(out) != "" {
		add("conntrack entries left for %s: %d", PodCIDR, len(strings.Split(strings.TrimSpace(out), "\n")))
	}
	for _, n := range Nodes {
		if dirs, _ := cgroupDirs(n.CgroupRoot); len(dirs) > 0 {
			add("cgroups left: %d under %s (e.g. %s)", len(dirs), n.CgroupRoot, dirs[len(dirs)-1])
		}
	}
	if base, err := l.loadSysctlBaseline(); err == nil {
		for k, want := range base {
			if got, err := ReadSysctl(k); err == nil && got != want {
				add("sysctl %s = %s, was %s before the lab", k, got, want)
			}
		}
	}
	for _, dir := range []string{"etc", "var", "run"} {
		if exists(l.path(dir)) {
			add("state folder left: %s", l.path(dir))
		}
	}
	links, _ := filepath.Glob("/var/log/containers/*")
	for _, link := range links {
		if target, err := os.Readlink(link); err == nil && strings.HasPrefix(target, l.Dir+"/") {
			add("container log link left: %s", link)
		}
	}
	if cached, _ := filepath.Glob("/var/lib/cni/results/" + networkName + "-*"); len(cached) > 0 {
		add("CNI cache entries left: %d", len(cached))
	}
	return left
}

// labAddressesAndRoutes lists host addresses and routes inside the lab ranges.
func labAddressesAndRoutes() []string {
	var ranges []*net.IPNet
	for _, c := range []string{ServiceCIDR, PodCIDR, APIServerIP + "/32", fmt.Sprintf("%s/%d", HostVethIP, LinkPrefix)} {
		_, n, _ := net.ParseCIDR(c)
		ranges = append(ranges, n)
	}
	inLab := func(ip net.IP) bool {
		for _, r := range ranges {
			if ip != nil && r.Contains(ip) {
				return true
			}
		}
		return false
	}
	var left []string
	if addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4); err == nil {
		for _, a := range addrs {
			if inLab(a.IP) {
				left = append(left, fmt.Sprintf("address left: %s", a.IPNet))
			}
		}
	}
	if routes, err := netlink.RouteList(nil, netlink.FAMILY_V4); err == nil {
		for _, r := range routes {
			if r.Dst != nil && inLab(r.Dst.IP) {
				left = append(left, fmt.Sprintf("route left: %s", r.Dst))
			}
		}
	}
	return left
}
