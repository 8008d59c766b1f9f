// Package lab is the local two-node Kubernetes cluster the e2e tests and the demo
// run against: etcd and a control plane on the host, node 1 in the host network
// namespace, node 2 in its own namespace joined by a veth, each node with its own
// containerd, kubelet, kube-proxy (iptables) and real flanneld (VXLAN). Everything
// runs under the harness's own PIDs, so `down` can stop it all and leave nothing.
//
// The cmd in e2e/cluster drives it (up, down, status, env, import-images,
// verify-clean); e2e/framework and e2e/faults use its node layout.
package lab

import (
	"os"
	"path/filepath"
)

// Versions of what the cluster runs. Kubernetes, CoreDNS and flannel come from the
// Go module proxy, the rest from Debian.
const (
	K8sVersion     = "v1.33.13"
	CoreDNSVersion = "v1.12.4"
	FlannelVersion = "v0.28.10" // pinned in e2e/flanneld/go.mod
)

// Addresses. All of them exist only on this machine; the traffic guards make sure
// nothing addressed to them (or anything else) leaves it.
const (
	ServiceCIDR   = "10.96.0.0/16"
	PodCIDR       = "10.244.0.0/16"
	APIServerIP   = "10.200.0.1" // node 1's IP, on the port-less bridge SinkBridge
	APIServerPort = "6443"
	KubernetesSvc = "10.96.0.1"
	ClusterDNS    = "10.96.0.10"
	ClusterDomain = "cluster.local"
	// The node-to-node link: HostVeth (host side) <-> eth0 in node 2's netns.
	HostVethIP  = "10.201.0.1"
	Node2IP     = "10.201.0.2"
	LinkPrefix  = 30
	HostVeth    = "nc-node2"
	SinkBridge  = "netcheck0" // port-less bridge: node 1's IP lives here; sink for guard routes
	GuardTable  = "netcheck_guard"
	LinkMTU     = 1550 // so flannel.1 (link MTU - 50) and the pods get the usual 1500
	etcdClient  = "http://127.0.0.1:2379"
	etcdPeer    = "http://127.0.0.1:2380"
	networkName = "netcheck-pods" // CNI network name (host-local IPAM and cache files use it)
)

// Image references inside the cluster. All are under localhost/ and every pod uses
// imagePullPolicy: Never, so an accidental pull could only ever go to loopback.
const (
	PauseImage   = "localhost/netcheck/pause:1"
	EchoImage    = "localhost/netcheck/echoserver:e2e"
	CoreDNSImage = "localhost/netcheck/coredns:" + CoreDNSVersion
	// ProbeImage is version.ProbeImage("") of a dev build.
	ProbeImage = "localhost/netcheck/netcheck-probe:dev"
)

// Node is one Kubernetes node of the lab.
type Node struct {
	Name string
	// IP is the node's InternalIP, where its kubelet listens.
	IP string
	// Netns names the node's network namespace under /run/netns; "" is the host's.
	Netns string
	// FlannelIface carries VXLAN to the other node (flannel's --iface).
	FlannelIface string
	// CgroupRoot is the kubelet cgroupRoot: each node has its own, so neither
	// kubelet takes the other's pod cgroups for orphans.
	CgroupRoot string
}

// Nodes of the lab, in bring-up order.
var (
	Node1 = Node{Name: "netcheck-node1", IP: APIServerIP, FlannelIface: HostVeth, CgroupRoot: "/netcheck-node1"}
	Node2 = Node{Name: "netcheck-node2", IP: Node2IP, Netns: "netcheck-node2", FlannelIface: "eth0", CgroupRoot: "/netcheck-node2"}
	Nodes = []Node{Node1, Node2}
)

// HostNetnsName names a bind mount of the host's network namespace that up
// creates, so node 1 has a path like node 2's. /proc/1/ns/net will not do:
// PID 1 of this VM refuses ptrace-mode access even to root.
const HostNetnsName = "netcheck-node1"

// NetnsPath is a path naming the node's network namespace, usable with
// nsenter --net= or setns by any process on the machine.
func (n Node) NetnsPath() string {
	if n.Netns == "" {
		return "/run/netns/" + HostNetnsName
	}
	return "/run/netns/" + n.Netns
}

// NodeByName returns the lab node called name.
func NodeByName(name string) (Node, bool) {
	for _, n := range Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// Lab is the on-disk layout under the state folder (default /var/lib/netcheck-lab,
// $NETCHECK_LAB overrides). It lives outside the repo so fresh clones on one
// machine share the cached binaries (half a gigabyte, a quarter hour to build).
type Lab struct {
	Dir string
	// Repo is the root of the kubectl-netcheck checkout (for building images).
	Repo string
}

// DefaultDir is the state folder when $NETCHECK_LAB is unset.
const DefaultDir = "/var/lib/netcheck-lab"

// New returns the lab for the state folder from the environment and the repo
// containing the working directory.
func New() (*Lab, error) {
	dir := os.Getenv("NETCHECK_LAB")
	if dir == "" {
		dir = DefaultDir
	}
	repo, err := FindRepo()
	if err != nil {
		return nil, err
	}
	return &Lab{Dir: dir, Repo: repo}, nil
}

func (l *Lab) path(elem ...string) string { return filepath.Join(append([]string{l.Dir}, elem...)...) }

// Cached across down/up: binaries, images, PKI, the wrapper module.
func (l *Lab) K8sBinDir() string         { return l.path("bin", "k8s-"+K8sVersion) }
func (l *Lab) K8sBin(name string) string { return filepath.Join(l.K8sBinDir(), name) }
func (l *Lab) Kubectl() string           { return l.K8sBin("kubectl") }
func (l *Lab) CoreDNSBin() string        { return l.path("bin", "coredns-"+CoreDNSVersion, "coredns") }
func (l *Lab) ImagePath(name string) string {
	return l.path("images", name+".tar")
}
func (l *Lab) PKIDir() string { return l.path("pki") }

// Kubeconfig is the cluster-admin kubeconfig `env` exports.
func (l *Lab) Kubeconfig() string { return l.path("kubeconfig") }

// Per-run state: removed by down.
func (l *Lab) EtcDir(n string) string     { return l.path("etc", n) }
func (l *Lab) VarDir(n string) string     { return l.path("var", n) }
func (l *Lab) RunDir(n string) string     { return l.path("run", n) }
func (l *Lab) LogDir() string             { return l.path("logs") }
func (l *Lab) PIDFile(name string) string { return l.path("run", "pids", flatName(name)+".pid") }
func (l *Lab) LogFile(name string) string { return filepath.Join(l.LogDir(), flatName(name)+".log") }
func (l *Lab) SysctlBaseline() string     { return l.path("sysctl-baseline.json") }
func (l *Lab) ContainerdSock(n Node) string {
	return filepath.Join(l.RunDir(n.Name), "containerd.sock")
}
func (l *Lab) SubnetFile(n Node) string {
	return filepath.Join(l.RunDir(n.Name), "flannel", "subnet.env")
}
func (l *Lab) CNIConfDir(n Node) string { return filepath.Join(l.EtcDir(n.Name), "cni") }

// flatName turns "netcheck-node2/kubelet" into "netcheck-node2-kubelet".
func flatName(name string) string {
	out := []byte(name)
	for i, c := range out {
		if c == '/' {
			out[i] = '-'
		}
	}
	return string(out)
}

// FindRepo walks up from the working directory to the kubectl-netcheck module root.
func FindRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && isRootModule(data) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errNoRepo(dir)
		}
	}
}
