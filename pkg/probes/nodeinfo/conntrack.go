//go:build linux

package nodeinfo

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// parseConntrackStat sums the failure counters of /proc/net/stat/nf_conntrack:
// a header naming the columns, then one row per CPU in hex. Columns are found
// by name, since kernels add and drop some. "entries" is not summed: every row
// repeats the namespace's count (the sysctl nf_conntrack_count gives it).
func parseConntrackStat(r io.Reader) (v1alpha1.ConntrackStats, error) {
	var st v1alpha1.ConntrackStats
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return st, fmt.Errorf("conntrack stat: no header: %v", sc.Err())
	}
	col := map[string]int{}
	for i, name := range strings.Fields(sc.Text()) {
		col[name] = i
	}
	targets := map[string]*uint64{"insert_failed": &st.InsertFailed, "drop": &st.Drop, "early_drop": &st.EarlyDrop,
		"invalid": &st.Invalid, "search_restart": &st.SearchRestart}
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for name, dst := range targets {
			i, ok := col[name]
			if !ok || i >= len(fields) {
				continue
			}
			v, err := strconv.ParseUint(fields[i], 16, 64)
			if err != nil {
				return st, fmt.Errorf("conntrack stat %s %q: %w", name, fields[i], err)
			}
			*dst += v
		}
	}
	return st, sc.Err()
}

// conntrackStats completes the counters with the table's fill from the
// sysctls; nil when the node has no conntrack at all.
func conntrackStats(sysctls map[string]string, stat *v1alpha1.ConntrackStats) *v1alpha1.ConntrackStats {
	count, okCount := sysctls[v1alpha1.SysctlConntrackCount]
	max, okMax := sysctls[v1alpha1.SysctlConntrackMax]
	if !okCount && !okMax && stat == nil {
		return nil
	}
	out := v1alpha1.ConntrackStats{}
	if stat != nil {
		out = *stat
	}
	out.Count, _ = strconv.Atoi(count)
	out.Max, _ = strconv.Atoi(max)
	return &out
}
