package plan

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func TestTCPAddresses(t *testing.T) {
	udp := webService()
	udp.Protocol = "UDP"
	for _, tc := range []struct {
		name   string
		target v1alpha1.Target
		want   []string
	}{
		{"service: ClusterIP and ready endpoints", webService(), []string{"10.96.0.50:80", "10.244.0.11:8080", "10.244.1.12:8080"}},
		{"udp service", udp, nil},
		{"pod with port", v1alpha1.Target{Kind: "pod", IPs: []string{"10.244.0.11", "fd00::11"}, Port: 8080, Protocol: "TCP"},
			[]string{"10.244.0.11:8080", "[fd00::11]:8080"}},
		{"pod without port", v1alpha1.Target{Kind: "pod", IPs: []string{"10.244.0.11"}}, nil},
		{"ip", v1alpha1.Target{Kind: "ip", IPs: []string{"10.96.0.10"}, Port: 53, Protocol: "TCP"}, []string{"10.96.0.10:53"}},
		{"host", v1alpha1.Target{Kind: "host", Name: "web.shop", Port: 80, Protocol: "TCP"}, []string{"web.shop:80"}},
		{"dns", v1alpha1.Target{Kind: "dns", Name: "web"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, TCPAddresses(tc.target)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTCPAddressesMatchBuild: the addresses an expectation judges are exactly
// the TCP checks Build plans, for every kind of target.
func TestTCPAddressesMatchBuild(t *testing.T) {
	targets := []v1alpha1.Target{
		webService(),
		{Spec: "pod/db:5432", Kind: "pod", IPs: []string{"10.244.1.20"}, Port: 5432, Protocol: "TCP"},
		{Spec: "10.96.0.10:53", Kind: "ip", IPs: []string{"10.96.0.10"}, Port: 53, Protocol: "TCP"},
		{Spec: "web.shop:80", Kind: "host", Name: "web.shop", Port: 80, Protocol: "TCP"},
		{Spec: "dns/web", Kind: "dns", Name: "web"},
	}
	for _, target := range targets {
		req := Build(&v1alpha1.Report{Source: source, Targets: []v1alpha1.Target{target}}, Options{})
		var planned []string
		for _, c := range req.Checks {
			if c.TCP != nil {
				planned = append(planned, c.TCP.Address)
			}
		}
		got := TCPAddresses(target)
		slices.Sort(planned)
		slices.Sort(got)
		if diff := cmp.Diff(planned, got); diff != "" {
			t.Errorf("%s: Build plans (-) but TCPAddresses says (+):\n%s", target.Spec, diff)
		}
	}
}
