//go:build linux

package nodeinfo

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// sysctl is one key and its file under procRoot/sys.
type sysctl struct{ key, path string }

// globalSysctls are read on every node; a key the kernel lacks is skipped.
var globalSysctls = []string{
	v1alpha1.SysctlIPForward, v1alpha1.SysctlBridgeNFIPTables, v1alpha1.SysctlTCPTimestamps,
	v1alpha1.SysctlTCPTWRecycle, v1alpha1.SysctlConntrackMax, v1alpha1.SysctlConntrackCount,
}

// sysctlsFor lists the keys to read: the global ones, then rp_filter and
// forwarding of all, default and each interface. Interface names keep their
// dots in the key and the path ("flannel.1"), which is why per-interface
// paths are built from parts rather than from the dotted key.
func sysctlsFor(ifaces []string) []sysctl {
	out := make([]sysctl, 0, len(globalSysctls)+2*(len(ifaces)+2))
	for _, k := range globalSysctls {
		out = append(out, sysctl{k, strings.ReplaceAll(k, ".", "/")})
	}
	for _, i := range append([]string{v1alpha1.ConfAll, v1alpha1.ConfDefault}, ifaces...) {
		if i == "" || strings.ContainsAny(i, "/") {
			continue // not a link name; never let it climb out of conf/
		}
		for _, name := range []string{v1alpha1.ConfRPFilter, v1alpha1.ConfForwarding} {
			out = append(out, sysctl{v1alpha1.ConfSysctl(i, name), "net/ipv4/conf/" + i + "/" + name})
		}
	}
	return out
}

// readSysctls reads each key from procRoot/sys. Net sysctls belong to the
// network namespace of the thread that opens them, so the caller runs this on
// a thread inside the namespace it describes. A missing key is absent from the
// map, not an error: the kernel or a module does not have it.
func readSysctls(procRoot string, keys []sysctl) (map[string]string, []error) {
	out := map[string]string{}
	var errs []error
	for _, k := range keys {
		data, err := os.ReadFile(procRoot + "/sys/" + k.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[k.key] = strings.TrimSpace(string(data))
	}
	return out, errs
}
