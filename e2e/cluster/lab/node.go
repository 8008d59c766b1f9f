package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DaemonName names a node daemon: "netcheck-node2/kubelet".
func DaemonName(n Node, daemon string) string { return n.Name + "/" + daemon }

// nodeDaemons in start order. kube-proxy is exported for the fault library.
const (
	containerdD = "containerd"
	kubeletD    = "kubelet"
	KubeProxyD  = "kube-proxy"
	flanneldD   = "flanneld"
)

// containerdConfig: a containerd per node, each with its own root, state,
// socket and runc root, so the two never see each other's containers.
// restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, so runc cannot give
// the pause container the negative oom_score_adj the CRI asks for and every
// sandbox would fail with "can't get final child's PID from pipe: EOF".
func (l *Lab) containerdConfig(n Node) string {
	run := l.RunDir(n.Name)
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  restrict_oom_score_adj = true
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
    max_conf_num = 1
`, filepath.Join(l.VarDir(n.Name), "containerd"), filepath.Join(run, "containerd"),
		l.ContainerdSock(n), l.ContainerdSock(n)+".ttrpc", filepath.Join(l.VarDir(n.Name), "opt"),
		PauseImage, filepath.Join(run, "runc"), l.CNIConfDir(n))
}

// kubeletConfig: cgroupfs (no systemd here), swap tolerated, no host resolv.conf
// leaking into pods (CoreDNS answers for cluster.local and nothing else), and a
// cgroupRoot per node. Eviction thresholds are low so a full build cache on the
// shared disk cannot evict the test pods.
func (l *Lab) kubeletConfig(n Node) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: %s
cgroupsPerQOS: true
failSwapOn: false
resolvConf: ""
clusterDNS: [%s]
clusterDomain: %s
containerRuntimeEndpoint: unix://%s
podLogsDir: %s
readOnlyPort: 0
serializeImagePulls: false
rotateCertificates: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, imagefs.available: 1%%, nodefs.inodesFree: 1%%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`, n.IP, l.pkiFile("ca.crt", ""), n.CgroupRoot, ClusterDNS, ClusterDomain, l.ContainerdSock(n),
		filepath.Join(l.VarDir(n.Name), "pod-logs"))
}

// kubeProxyConfig: iptables mode; conntrack and localhost-nodeport settings
// that would change host sysctls are left alone.
func (l *Lab) kubeProxyConfig(n Node) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %s}
mode: iptables
hostnameOverride: %s
clusterCIDR: %s
nodePortAddresses: [%s/32]
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
`, l.ComponentKubeconfig("kube-proxy"), n.Name, PodCIDR, n.IP)
}

// flannelNetConf is flannel's net-conf.json: the cluster pod range, VXLAN on
// VNI 1 / UDP 8472 (flannel.1), iptables rules (not nftables).
const flannelNetConf = `{"Network": "` + PodCIDR + `", "EnableIPv4": true, "Backend": {"Type": "vxlan", "VNI": 1, "Port": 8472}}`

// writeNodeConfigs writes the per-node config files.
func (l *Lab) writeNodeConfigs(n Node) error {
	files := map[string]string{
		"containerd.toml": l.containerdConfig(n),
		"kubelet.yaml":    l.kubeletConfig(n),
		"kube-proxy.yaml": l.kubeProxyConfig(n),
		"net-conf.json":   flannelNetConf,
	}
	dir := l.EtcDir(n.Name)
	for _, d := range []string{dir, l.CNIConfDir(n), l.VarDir(n.Name), filepath.Dir(l.SubnetFile(n))} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("write %s config %s: %w", n.Name, name, err)
		}
	}
	return nil
}

func (l *Lab) containerdDaemon(n Node) Daemon {
	return Daemon{Name: DaemonName(n, containerdD), Netns: n.Netns, Bin: "/usr/bin/containerd",
		Args: []string{"--config", filepath.Join(l.EtcDir(n.Name), "containerd.toml")}}
}

func (l *Lab) kubeletDaemon(n Node) Daemon {
	return Daemon{Name: DaemonName(n, kubeletD), Netns: n.Netns, Bin: l.K8sBin("kubelet"), Args: []string{
		"--config=" + filepath.Join(l.EtcDir(n.Name), "kubelet.yaml"),
		"--kubeconfig=" + l.ComponentKubeconfig("kubelet-"+n.Name),
		"--root-dir=" + filepath.Join(l.VarDir(n.Name), "kubelet"),
		"--hostname-override=" + n.Name,
		"--node-ip=" + n.IP,
	}}
}

// KubeProxyDaemon is the node's kube-proxy (exported: faults stop and restart it).
func (l *Lab) KubeProxyDaemon(n Node) Daemon {
	return Daemon{Name: DaemonName(n, KubeProxyD), Netns: n.Netns, Bin: l.K8sBin("kube-proxy"),
		Args: []string{"--config=" + filepath.Join(l.EtcDir(n.Name), "kube-proxy.yaml")}}
}

func (l *Lab) flanneldDaemon(n Node, bin string) Daemon {
	return Daemon{Name: DaemonName(n, flanneldD), Netns: n.Netns, Bin: bin,
		Env: []string{"NODE_NAME=" + n.Name},
		Args: []string{
			"-kubeconfig-file=" + l.ComponentKubeconfig("flannel"),
			"-iface=" + n.FlannelIface,
			"-net-config-path=" + filepath.Join(l.EtcDir(n.Name), "net-conf.json"),
			"-subnet-file=" + l.SubnetFile(n),
			"-ip-masq",
		}}
}

// subnetEnv is flannel's subnet.env.
type subnetEnv struct {
	Network, Subnet string
	MTU             int
	IPMasq          bool
}

func readSubnetEnv(path string) (subnetEnv, error) {
	f, err := os.Open(path)
	if err != nil {
		return subnetEnv{}, err
	}
	defer f.Close()
	var s subnetEnv
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch k {
		case "FLANNEL_NETWORK":
			s.Network = v
		case "FLANNEL_SUBNET":
			s.Subnet = v
		case "FLANNEL_MTU":
			_, _ = fmt.Sscan(v, &s.MTU)
		case "FLANNEL_IPMASQ":
			s.IPMasq = v == "true"
		}
	}
	if s.Network == "" || s.Subnet == "" || s.MTU == 0 {
		return s, fmt.Errorf("%s: incomplete (%+v)", path, s)
	}
	return s, sc.Err()
}

// cniConflist is what flannel's CNI plugin would hand to the bridge plugin
// (that plugin is not packaged here): bridge cni0 as the pods' gateway, an
// address from the node's flannel subnet, flannel's MTU, and no masquerade of
// its own when flanneld masquerades. host-local keeps its leases under the lab
// folder so the two nodes' containerds never share a lease directory.
func cniConflist(s subnetEnv, ipamDir string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       networkName,
		"plugins": []map[string]any{
			{
				"type": "bridge", "bridge": "cni0", "isGateway": true, "isDefaultGateway": true,
				"ipMasq": !s.IPMasq, "hairpinMode": true, "mtu": s.MTU,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": s.Subnet}}},
					"routes":  []map[string]string{{"dst": s.Network}},
					"dataDir": ipamDir,
				},
			},
			{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// writeCNIConfig waits for flanneld's subnet.env and writes the node's conflist;
// until then containerd reports NetworkReady=false and the node stays NotReady.
func (l *Lab) writeCNIConfig(ctx context.Context, n Node) error {
	var env subnetEnv
	err := l.waitFor(ctx, n.Name+" flannel subnet.env", DaemonName(n, flanneldD), 90*time.Second, func(context.Context) error {
		var err error
		env, err = readSubnetEnv(l.SubnetFile(n))
		return err
	})
	if err != nil {
		return err
	}
	// subnet.env holds the gateway form (10.244.1.1/24); host-local wants the network.
	subnet, err := networkOf(env.Subnet)
	if err != nil {
		return err
	}
	env.Subnet = subnet
	data, err := cniConflist(env, filepath.Join(l.VarDir(n.Name), "cni-ipam"))
	if err != nil {
		return err
	}
	path := filepath.Join(l.CNIConfDir(n), "10-"+networkName+".conflist")
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return os.WriteFile(path, data, 0o644)
}
