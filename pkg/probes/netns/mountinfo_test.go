package netns

import (
	"slices"
	"strings"
	"testing"
)

func TestParseNsfsMountPoints(t *testing.T) {
	const mountinfo = `22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
36 22 0:4 net:[4026532281] /run/netns/cni-7d3c rw shared:5 - nsfs nsfs rw
37 22 0:4 net:[4026532400] /var/run/docker/netns/1a2b rw - nsfs nsfs rw
38 22 0:4 mnt:[4026532500] /run/ns/mnt\040with\040space rw - nsfs nsfs rw
39 22 0:25 / /proc rw,nosuid - proc proc rw
40 22 0:26 / /odd rw opt1 opt2 - tmpfs tmpfs rw
broken line
`
	got, err := parseNsfsMountPoints(strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/run/netns/cni-7d3c", "/var/run/docker/netns/1a2b", "/run/ns/mnt with space"}
	if !slices.Equal(got, want) {
		t.Fatalf("parseNsfsMountPoints() = %q, want %q", got, want)
	}
}

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       Process
	}{
		{"shim", "4240 (containerd-shim) S 1 4240 1 0 -1 1077936384", Process{PID: 4240, PPID: 1, Comm: "containerd-shim"}},
		{"comm with paren and space", "77 (a) b (c)) R 5 77 5", Process{PID: 77, PPID: 5, Comm: "a) b (c)"}},
	} {
		got, err := parseStat(tc.want.PID, []byte(tc.stat))
		if err != nil || got != tc.want {
			t.Errorf("%s: parseStat() = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := parseStat(1, []byte("1 (x")); err == nil {
		t.Error("parseStat(truncated) returned no error")
	}
}
