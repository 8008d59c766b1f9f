//go:build linux

package nodeinfo

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// A kernel 6.x /proc/net/stat/nf_conntrack with two CPUs.
const statTwoCPUs = `entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
00000078  00000000 00000000 00000000 00000005 00000000 00000000 00000000 00000000 0000000a 00000002 00000000 00000000  00000000 00000000 00000000 00000001
00000078  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000010 00000000 00000003 00000000  00000000 00000000 00000000 00000000
`

func TestParseConntrackStat(t *testing.T) {
	got, err := parseConntrackStat(strings.NewReader(statTwoCPUs))
	if err != nil {
		t.Fatal(err)
	}
	want := v1alpha1.ConntrackStats{InsertFailed: 0x1a, Drop: 2, EarlyDrop: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parseConntrackStat(strings.NewReader("insert_failed\nzz\n")); err == nil {
		t.Error("a non-hex counter must fail")
	}
}

func TestConntrackStats(t *testing.T) {
	if got := conntrackStats(map[string]string{}, nil); got != nil {
		t.Errorf("no conntrack on the node: got %+v, want nil", got)
	}
	got := conntrackStats(map[string]string{v1alpha1.SysctlConntrackCount: "120", v1alpha1.SysctlConntrackMax: "262144"},
		&v1alpha1.ConntrackStats{InsertFailed: 4})
	if want := (v1alpha1.ConntrackStats{Count: 120, Max: 262144, InsertFailed: 4}); *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

func TestSysctlsFor(t *testing.T) {
	var keys, paths []string
	for _, s := range sysctlsFor([]string{"flannel.1", "../x"}) {
		keys, paths = append(keys, s.key), append(paths, s.path)
	}
	for _, want := range []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.forwarding",
		"net.ipv4.conf.flannel.1.rp_filter", "net.ipv4.conf.flannel.1.forwarding"} {
		if !slices.Contains(keys, want) {
			t.Errorf("keys lack %s: %v", want, keys)
		}
	}
	if !slices.Contains(paths, "net/ipv4/conf/flannel.1/rp_filter") || !slices.Contains(paths, "net/ipv4/ip_forward") {
		t.Errorf("paths %v", paths)
	}
	for _, p := range paths {
		if strings.Contains(p, "..") {
			t.Errorf("path %q climbs out of /proc/sys", p)
		}
	}
}
