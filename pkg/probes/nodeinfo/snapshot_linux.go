package nodeinfo

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// Snapshot reads the state of the network namespace at nsPath ("" for the
// calling thread's, the node's with hostNetwork). Netlink and nftables go over
// sockets created inside that namespace; files whose content depends on the
// reader's namespace (net sysctls, /proc/net) are read on a thread switched
// into it.
func Snapshot(ctx context.Context, spec v1alpha1.NodeInfoSpec, nsPath string) (*v1alpha1.NodeInfoResult, error) {
	procRoot := strings.TrimSuffix(spec.ProcRoot, "/")
	if procRoot == "" {
		procRoot = "/proc"
	}
	ns, err := openNamespace(nsPath)
	if err != nil {
		return nil, err
	}
	if ns != nil {
		defer ns.Close()
	}
	v := view{ns}

	res := &v1alpha1.NodeInfoResult{Phase: spec.Phase, Hostname: hostname(), Sysctls: map[string]string{},
		Links: []v1alpha1.NodeLink{}}
	fail := func(err error) { res.Errors = append(res.Errors, err.Error()) }

	h, err := v.netlinkHandle()
	if err != nil {
		fail(err)
	} else {
		defer h.Close()
		if res.Links, err = readLinks(h); err != nil {
			fail(err)
		}
		names := map[int]string{}
		for _, l := range res.Links {
			names[l.Index] = l.Name
		}
		if res.Routes, err = readRoutes(h, names); err != nil {
			fail(err)
		}
		if res.Neighbors, res.FDB, err = readVXLANTables(h, res.Links); err != nil {
			fail(err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("nodeinfo: %w", err)
	}

	ifaces := spec.Interfaces
	if len(ifaces) == 0 {
		for _, l := range res.Links {
			ifaces = append(ifaces, l.Name)
		}
	}
	var stat *v1alpha1.ConntrackStats
	var legacy []string
	err = v.do(func() error {
		var errs []error
		res.Sysctls, errs = readSysctls(procRoot, sysctlsFor(ifaces))
		for _, e := range errs {
			fail(e)
		}
		procNet := procNetDir(procRoot)
		stat = readConntrackStat(procNet, fail)
		legacy = legacyTables(procNet)
		return nil
	})
	if err != nil {
		fail(err)
	}
	res.Conntrack = conntrackStats(res.Sysctls, stat)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("nodeinfo: %w", err)
	}

	if spec.Firewall {
		res.Firewall = readFirewall(v.fd(), spec.FirewallChains)
		if len(legacy) > 0 {
			note := fmt.Sprintf("legacy iptables tables in use (%s): their rules are not in nftables and are not shown; "+
				"read them with iptables-legacy-save on the node", strings.Join(legacy, ", "))
			res.Firewall.Error = strings.TrimPrefix(res.Firewall.Error+"; "+note, "; ")
		}
	}
	return res, nil
}

// openNamespace opens the namespace at path; "" is the probe's own, which
// needs no handle.
func openNamespace(path string) (*netns.NetNS, error) {
	if path == "" {
		return nil, nil
	}
	ns, err := netns.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nodeinfo: %w", err)
	}
	return ns, nil
}

// view reads a namespace: another one through setns(2) (which needs
// CAP_SYS_ADMIN), or, with a nil ns, the probe's own directly, so the node
// pod's snapshot needs no more than CAP_NET_ADMIN.
type view struct{ ns *netns.NetNS }

func (v view) netlinkHandle() (*netlink.Handle, error) {
	if v.ns == nil {
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return nil, fmt.Errorf("netlink handle: %w", err)
		}
		return h, nil
	}
	return v.ns.NetlinkHandle()
}

// do runs fn on a thread inside the namespace.
func (v view) do(fn func() error) error {
	if v.ns == nil {
		return fn()
	}
	return v.ns.Do(fn)
}

// fd is the namespace for nftables; 0 means the caller's own.
func (v view) fd() int {
	if v.ns == nil {
		return 0
	}
	return v.ns.Fd()
}

// procNetDir is the /proc/net of the calling thread's namespace: /proc/net
// follows the thread group leader, thread-self/net the thread (which may have
// switched into another namespace).
func procNetDir(procRoot string) string {
	if _, err := os.Stat(procRoot + "/thread-self/net"); err == nil {
		return procRoot + "/thread-self/net"
	}
	return procRoot + "/net"
}

// readConntrackStat reads the per-CPU failure counters; nil without conntrack.
func readConntrackStat(procNet string, fail func(error)) *v1alpha1.ConntrackStats {
	f, err := os.Open(procNet + "/stat/nf_conntrack")
	if err != nil {
		return nil // the module is not loaded: nothing tracked, nothing failed
	}
	defer f.Close()
	st, err := parseConntrackStat(f)
	if err != nil {
		fail(err)
		return nil
	}
	return &st
}

// hostname is uname -n of the probe's UTS namespace, the node's in a
// hostNetwork pod.
func hostname() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Nodename[:])
}
