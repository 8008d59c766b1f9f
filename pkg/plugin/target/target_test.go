package target

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
	}{
		{"svc/web", Spec{Kind: KindService, Name: "web"}},
		{"svc/web:80", Spec{Kind: KindService, Name: "web", Port: "80"}},
		{"service/web:http", Spec{Kind: KindService, Name: "web", Port: "http"}},
		{"svc/other/web:8080", Spec{Kind: KindService, Namespace: "other", Name: "web", Port: "8080"}},
		{"svc/web.other", Spec{Kind: KindService, Namespace: "other", Name: "web"}},
		{"svc/web.other.svc:http", Spec{Kind: KindService, Namespace: "other", Name: "web", Port: "http"}},
		{"pod/web-0", Spec{Kind: KindPod, Name: "web-0"}},
		{"po/web-0:metrics", Spec{Kind: KindPod, Name: "web-0", Port: "metrics"}},
		{"pod/other/web.v1-0:80", Spec{Kind: KindPod, Namespace: "other", Name: "web.v1-0", Port: "80"}},
		{"10.244.1.5", Spec{Kind: KindIP, IP: netip.MustParseAddr("10.244.1.5")}},
		{"10.244.1.5:8080", Spec{Kind: KindIP, IP: netip.MustParseAddr("10.244.1.5"), Port: "8080"}},
		{"fd00::5", Spec{Kind: KindIP, IP: netip.MustParseAddr("fd00::5")}},
		{"[fd00::5]:443", Spec{Kind: KindIP, IP: netip.MustParseAddr("fd00::5"), Port: "443"}},
		{"example.internal:443", Spec{Kind: KindHost, Name: "example.internal", Port: "443"}},
		{"web:80", Spec{Kind: KindHost, Name: "web", Port: "80"}},
		{"dns/web.default.svc.cluster.local.", Spec{Kind: KindDNS, Name: "web.default.svc.cluster.local"}},
		{"dns/kubernetes", Spec{Kind: KindDNS, Name: "kubernetes"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			tc.want.Raw = tc.in
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{"", "empty target"},
		{"web", "unknown target syntax (did you mean svc/web"},
		{"example.com", "a host needs a port"},
		{"deploy/web", `unknown kind "deploy"`},
		{"svc/web:", "missing port"},
		{"svc/web:0", "out of range"},
		{"svc/web:70000", "out of range"},
		{"svc/Web", "not a valid Service name"},
		{"svc/a/b/c", "too many '/'"},
		{"svc/web.a.b", "svc/NAME.NAMESPACE"},
		{"pod/", "missing name"},
		{"pod/x:not_a_name", "neither a port number nor a port name"},
		{"host.example:http", "must be a number"},
		{"10.0.0.1:0", "port 0"},
		{"10.0.0.0/8", "unknown target syntax"},
		{"dns/a:53", "dns/ takes a bare name"},
		{"fd00::1:99999", "not an IP"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Source
		wantErr string
	}{
		{in: "web-0", want: Source{Kind: SourcePod, Name: "web-0"}},
		{in: "pod/web-0", want: Source{Kind: SourcePod, Name: "web-0"}},
		{in: "pod/other/web-0", want: Source{Kind: SourcePod, Namespace: "other", Name: "web-0"}},
		{in: "deploy/web", want: Source{Kind: SourceDeployment, Name: "web"}},
		{in: "deployments.apps/web", want: Source{Kind: SourceDeployment, Name: "web"}},
		{in: "node/netcheck-node2", want: Source{Kind: SourceNode, Name: "netcheck-node2"}},
		{in: "no/ip-10-0-0-1.eu-west-1.compute.internal", want: Source{Kind: SourceNode, Name: "ip-10-0-0-1.eu-west-1.compute.internal"}},
		{in: "node/a/b", wantErr: "not a valid object name"},
		{in: "svc/web", wantErr: "the source is NAME, pod/NAME, deploy/NAME or node/NAME"},
		{in: "pod/", wantErr: "missing name"},
		{in: "Web", wantErr: "not a valid object name"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSource(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseSource(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Raw = tc.in
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	inputs := []string{"svc/web:http", "pod/other/web-0:8080", "[fd00::5]:443", "example.internal:443", "dns/kubernetes"}
	for b.Loop() {
		for _, in := range inputs {
			if _, err := Parse(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}
