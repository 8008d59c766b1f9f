package dns

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// writeResolvConf writes a pod-style resolv.conf (ndots:5, three search domains).
func writeResolvConf(t testing.TB, nameservers ...string) string {
	t.Helper()
	content := ""
	for _, ns := range nameservers {
		content += "nameserver " + ns + "\n"
	}
	content += "search default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:2\n"
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadResolvConf(t *testing.T) {
	path := writeResolvConf(t, "10.96.0.10", "10.96.0.11")
	_, rc, err := ReadResolvConf(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &v1alpha1.ResolvConf{Nameservers: []string{"10.96.0.10", "10.96.0.11"},
		Search: []string{"default.svc.cluster.local", "svc.cluster.local", "cluster.local"}, Ndots: 5,
		Options: []string{"ndots:5", "timeout:1", "attempts:2"}}
	if d := cmp.Diff(want, rc); d != "" {
		t.Errorf("-want +got\n%s", d)
	}
	if _, _, err := ReadResolvConf(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("want an error for a missing resolv.conf")
	}
}

// The search-list expansion is the classic ndots:5 surprise: a name with fewer
// than 5 dots walks the whole search list before being tried as is.
func TestExpansionHonoursNdotsAndTrailingDot(t *testing.T) {
	conf, _, err := ReadResolvConf(writeResolvConf(t, "10.96.0.10"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"web", []string{"web.default.svc.cluster.local.", "web.svc.cluster.local.", "web.cluster.local.", "web."}},
		{"api.example.com", []string{"api.example.com.default.svc.cluster.local.", "api.example.com.svc.cluster.local.",
			"api.example.com.cluster.local.", "api.example.com."}},
		// 5 dots reach ndots: tried as is first.
		{"a.b.c.d.e.f", []string{"a.b.c.d.e.f.", "a.b.c.d.e.f.default.svc.cluster.local.", "a.b.c.d.e.f.svc.cluster.local.",
			"a.b.c.d.e.f.cluster.local."}},
		// A trailing dot means absolute: no search at all.
		{"api.example.com.", []string{"api.example.com."}},
	} {
		if d := cmp.Diff(tc.want, conf.NameList(tc.name)); d != "" {
			t.Errorf("%s: -want +got\n%s", tc.name, d)
		}
	}
}

func TestServersOrderAndDedupe(t *testing.T) {
	conf, _, err := ReadResolvConf(writeResolvConf(t, "10.96.0.10"))
	if err != nil {
		t.Fatal(err)
	}
	got := Servers(conf, []v1alpha1.DNSServer{{Address: "10.244.1.5", Name: "coredns-a"}, {Address: "10.96.0.10:53"},
		{Address: "fd00::a", Name: "v6"}})
	want := []Server{{Addr: "10.96.0.10:53", Role: RoleResolvConf}, {Addr: "10.244.1.5:53", Name: "coredns-a", Role: RoleEndpoint},
		{Addr: "[fd00::a]:53", Name: "v6", Role: RoleEndpoint}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("-want +got\n%s", d)
	}
}
