//go:build linux

package nodeinfo

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// /proc/net/stat/nf_conntrack as kernels print it: a header, then one row per
// CPU in hex. "entries" repeats the namespace's count on every row.
const (
	// Kernel 6.x (6.18 here), two CPUs: "clashres" and "chainlength" replaced
	// "searched" and "delete_list"; "found", "new" and "insert" stay 0.
	statKernel6 = `entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
00000078  00000000 00000000 00000000 00000005 00000000 00000000 00000000 00000000 0000000a 00000002 00000000 00000000  00000000 00000000 00000000 00000001
00000078  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000010 00000000 00000003 00000000  00000000 00000000 00000000 00000000
`
	// Kernel 4.19/5.4, four CPUs, a table that was full: drop and early_drop
	// on every CPU.
	statKernel5 = `entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
0003fffe  00000000 00000000 00000000 0000002c 00018a4e 00000000 00000000 00000000 00000000 00000d2f 00000011 00000000  00000000 00000000 00000000 00000007
0003fffe  00000000 00000000 00000000 00000031 0001889f 00000000 00000000 00000000 00000001 00000c81 0000000f 00000000  00000000 00000000 00000000 00000003
0003fffe  00000000 00000000 00000000 00000027 00018d10 00000000 00000000 00000000 00000000 00000d8a 00000012 00000000  00000000 00000000 00000000 00000000
0003fffe  00000000 00000000 00000000 00000030 000187a1 00000000 00000000 00000000 00000000 00000c55 0000000e 00000000  00000000 00000000 00000000 00000002
`
	// Kernel 3.10 (CentOS 7), one CPU: no search_restart column yet.
	statKernel3 = `entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete
000001a4  0000a1b2 01c2d3e4 0000f00d 00000009 00000123 0000f00a 0000f00a 0000f00c 00000004 00000000 00000000 00000000  00000000 00000000 00000000
`
)

func TestParseConntrackStat(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       v1alpha1.ConntrackStats
		wantErr    bool
	}{
		{name: "kernel 6", text: statKernel6,
			want: v1alpha1.ConntrackStats{InsertFailed: 0x1a, Drop: 2, EarlyDrop: 3, Invalid: 5, SearchRestart: 1}},
		{name: "kernel 5, a full table", text: statKernel5,
			want: v1alpha1.ConntrackStats{InsertFailed: 1, Drop: 0xd2f + 0xc81 + 0xd8a + 0xc55, EarlyDrop: 0x11 + 0xf + 0x12 + 0xe,
				Invalid: 0x2c + 0x31 + 0x27 + 0x30, SearchRestart: 12}},
		{name: "kernel 3.10 without search_restart", text: statKernel3,
			want: v1alpha1.ConntrackStats{InsertFailed: 4, Invalid: 9}},
		{name: "header only: no CPU rows", text: "entries insert_failed drop\n"},
		{name: "empty file", text: "", wantErr: true},
		{name: "a counter that is not hex", text: "insert_failed\nzz\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConntrackStat(strings.NewReader(tc.text))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
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

func TestConntrackSummary(t *testing.T) {
	for _, tc := range []struct {
		in   v1alpha1.ConntrackStats
		want string
	}{
		{v1alpha1.ConntrackStats{Count: 542, Max: 262144, Invalid: 3}, "conntrack 542/262144"},
		{v1alpha1.ConntrackStats{Count: 4096, Max: 4096, Drop: 12, InsertFailed: 1},
			"conntrack 4096/4096 (drop 12, early_drop 0, insert_failed 1)"},
	} {
		if got := conntrackSummary(&tc.in); got != tc.want {
			t.Errorf("conntrackSummary(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
