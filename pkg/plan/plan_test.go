package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

var source = v1alpha1.Source{Namespace: "default", Pod: "client", Node: "node1", PodIPs: []string{"10.244.0.10"}}

var coredns = []v1alpha1.DNSServer{{Address: "10.244.0.2:53", Name: "kube-system/coredns-a (node node1)", Role: "endpoint"}}

func webService() v1alpha1.Target {
	return v1alpha1.Target{
		Spec: "svc/web", Kind: "service", Namespace: "default", Name: "web", IPs: []string{"10.96.0.50"},
		Port: 80, PortName: "http", Protocol: "TCP", TargetPort: "http",
		Endpoint: []v1alpha1.Endpoint{
			{IP: "10.244.0.11", Port: 8080, Ready: true, Pod: "web-1", Node: "node1"},
			{IP: "10.244.1.12", Port: 8080, Ready: true, Pod: "web-2", Node: "node2"},
			{IP: "10.244.1.14", Port: 8080, Ready: false, Pod: "web-4", Node: "node2"},
		},
	}
}

// Expected specs, spelled out so the test shows exactly what the probe gets.
func tcp(addr, label string, count, conc, timeoutMillis int) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{ID: "tcp:" + addr, Check: "tcp", Target: label, TimeoutMillis: timeoutMillis,
		TCP: &v1alpha1.TCPSpec{Address: addr, Count: count, Concurrency: conc, ConnectTimeoutMillis: 1000}}
}

func icmp(ip, label string) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{ID: "icmp:" + ip, Check: "icmp", Target: label, TimeoutMillis: 10000,
		ICMP: &v1alpha1.ICMPSpec{Address: ip, Count: 3, DiscoverMTU: true, ReplyTimeoutMillis: 500}}
}

func dns(name, label string, servers []v1alpha1.DNSServer) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{ID: "dns:" + name, Check: "dns", Target: label, TimeoutMillis: 10000,
		DNS: &v1alpha1.DNSSpec{Name: name, Servers: servers, QueryTimeoutMillis: 1000}}
}

func netinfo(ns, pod string) v1alpha1.CheckSpec {
	return v1alpha1.CheckSpec{ID: "netinfo:" + ns + "/" + pod, Check: "netinfo", Target: "pod " + ns + "/" + pod,
		TimeoutMillis: 5000, NetInfo: &v1alpha1.NetInfoSpec{Listeners: true}}
}

func TestBuild(t *testing.T) {
	other := webService()
	other.Spec, other.Namespace = "svc/other/web", "other"
	other.Endpoint = nil

	for _, tc := range []struct {
		name    string
		targets []v1alpha1.Target
		opts    Options
		want    []v1alpha1.CheckSpec
	}{
		{
			name:    "service: ClusterIP, each ready endpoint, icmp to endpoints only, dns",
			targets: []v1alpha1.Target{webService()},
			opts:    Options{DNSServers: coredns},
			want: []v1alpha1.CheckSpec{
				tcp("10.96.0.50:80", "svc/web ClusterIP 10.96.0.50:80", 20, 5, 6000),
				tcp("10.244.0.11:8080", "svc/web endpoint 10.244.0.11:8080 (pod web-1, node node1)", 20, 5, 6000),
				icmp("10.244.0.11", "svc/web endpoint 10.244.0.11 (pod web-1, node node1)"),
				tcp("10.244.1.12:8080", "svc/web endpoint 10.244.1.12:8080 (pod web-2, node node2)", 20, 5, 6000),
				icmp("10.244.1.12", "svc/web endpoint 10.244.1.12 (pod web-2, node node2)"),
				dns("web", "svc/web", coredns),
				netinfo("default", "client"),
			},
		},
		{
			name:    "service in another namespace without endpoints, --count 3",
			targets: []v1alpha1.Target{other},
			opts:    Options{Count: 3},
			want: []v1alpha1.CheckSpec{
				tcp("10.96.0.50:80", "svc/other/web ClusterIP 10.96.0.50:80", 3, 3, 3000),
				dns("web.other", "svc/other/web", nil),
				netinfo("default", "client"),
			},
		},
		{
			name: "pod with port, pod without port, shared address checked once",
			targets: []v1alpha1.Target{
				{Spec: "pod/web-1", Kind: "pod", Namespace: "default", Name: "web-1", IPs: []string{"10.244.0.11"}, Node: "node1", Pod: "web-1", Port: 8080, Protocol: "TCP"},
				{Spec: "pod/web-3", Kind: "pod", Namespace: "default", Name: "web-3", IPs: []string{"10.244.1.13"}, Node: "node2", Pod: "web-3"},
				{Spec: "10.244.0.11:8080", Kind: "ip", IPs: []string{"10.244.0.11"}, Port: 8080, Protocol: "TCP", Pod: "web-1", Namespace: "default"},
			},
			want: []v1alpha1.CheckSpec{
				tcp("10.244.0.11:8080", "pod/web-1 10.244.0.11 (node node1)", 20, 5, 6000),
				icmp("10.244.0.11", "pod/web-1 10.244.0.11 (node node1)"),
				icmp("10.244.1.13", "pod/web-3 10.244.1.13 (node node2)"),
				netinfo("default", "client"),
			},
		},
		{
			name: "bare IP with port: tcp only; without port: ping; host: dns + tcp; dns only; UDP service: no tcp",
			targets: []v1alpha1.Target{
				{Spec: "10.200.0.1:53", Kind: "ip", IPs: []string{"10.200.0.1"}, Port: 53, Protocol: "TCP"},
				{Spec: "10.201.0.1", Kind: "ip", IPs: []string{"10.201.0.1"}},
				{Spec: "web.other:80", Kind: "host", Name: "web.other", Port: 80, Protocol: "TCP"},
				{Spec: "dns/kubernetes.default", Kind: "dns", Name: "kubernetes.default"},
				{Spec: "svc/kube-system/kube-dns", Kind: "service", Namespace: "kube-system", Name: "kube-dns", IPs: []string{"10.96.0.10"}, Port: 53, Protocol: "UDP"},
			},
			opts: Options{Count: 10, Concurrency: 10, ConnectTimeout: 500 * time.Millisecond},
			want: []v1alpha1.CheckSpec{
				{ID: "tcp:10.200.0.1:53", Check: "tcp", Target: "10.200.0.1:53", TimeoutMillis: 2500,
					TCP: &v1alpha1.TCPSpec{Address: "10.200.0.1:53", Count: 10, Concurrency: 10, ConnectTimeoutMillis: 500}},
				icmp("10.201.0.1", "10.201.0.1"),
				dns("web.other", "web.other:80", nil),
				{ID: "tcp:web.other:80", Check: "tcp", Target: "web.other:80", TimeoutMillis: 2500,
					TCP: &v1alpha1.TCPSpec{Address: "web.other:80", Count: 10, Concurrency: 10, ConnectTimeoutMillis: 500}},
				dns("kubernetes.default", "dns/kubernetes.default", nil),
				dns("kube-dns.kube-system", "svc/kube-system/kube-dns", nil),
				netinfo("default", "client"),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Build(&v1alpha1.Report{Source: source, Targets: tc.targets}, tc.opts)
			want := v1alpha1.NewProbeRequest(tc.want...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFollowups(t *testing.T) {
	refused := func(addr string) v1alpha1.CheckResult {
		return v1alpha1.CheckResult{ID: "tcp:" + addr, Check: "tcp", Status: v1alpha1.StatusFail,
			TCP: &v1alpha1.TCPResult{Address: addr, Counts: map[v1alpha1.TCPOutcome]int{v1alpha1.TCPRefused: 20}}}
	}
	ok := func(addr string) v1alpha1.CheckResult {
		return v1alpha1.CheckResult{ID: "tcp:" + addr, Check: "tcp", Status: v1alpha1.StatusPass,
			TCP: &v1alpha1.TCPResult{Address: addr, Counts: map[v1alpha1.TCPOutcome]int{v1alpha1.TCPOK: 20}}}
	}
	r := &v1alpha1.Report{
		Source: source,
		Targets: []v1alpha1.Target{
			webService(),
			{Spec: "pod/client:9000", Kind: "pod", Namespace: "default", Pod: "client", IPs: []string{"10.244.0.10"}, Port: 9000},
			{Spec: "10.200.0.1:80", Kind: "ip", IPs: []string{"10.200.0.1"}, Port: 80},
		},
		Results: []v1alpha1.CheckResult{
			refused("10.96.0.50:80"),    // ClusterIP: no pod behind the address itself
			refused("10.244.1.12:8080"), // web-2
			ok("10.244.0.11:8080"),      // web-1 is fine
			refused("10.244.0.10:9000"), // the source itself: its netinfo is already planned
			refused("10.200.0.1:80"),    // not a pod
			{ID: "icmp:10.244.1.12", Check: "icmp", Status: v1alpha1.StatusFail},
		},
	}
	got := Followups(r)
	want := []Followup{{
		Namespace: "default", Pod: "web-2", Reason: "10.244.1.12:8080 refused connections",
		Request: v1alpha1.NewProbeRequest(netinfo("default", "web-2")),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// BenchmarkBuild measures planning a pod -> svc run with 2 endpoints (the
// time-to-verdict target case) plus a few more targets.
func BenchmarkBuild(b *testing.B) {
	r := &v1alpha1.Report{Source: source, Targets: []v1alpha1.Target{webService(),
		{Spec: "dns/kubernetes.default", Kind: "dns", Name: "kubernetes.default"}}}
	for b.Loop() {
		req := Build(r, Options{DNSServers: coredns})
		if len(req.Checks) == 0 {
			b.Fatal("empty plan")
		}
	}
}
