// Command flanneld runs the real flannel v0.28 data path for the e2e cluster: the
// Kubernetes subnet manager (leases from node.spec.podCIDR, flannel's node
// annotations) and the VXLAN backend (flannel.1, its neighbour and FDB entries,
// routes), plus flannel's own masquerade and forward rules and subnet.env.
//
// It exists because upstream's main package blank-imports every backend, and one
// of them (tencentvpc) pulls a module the offline Go proxy refuses, so
// `go install github.com/flannel-io/flannel` cannot build here. This main follows
// upstream main.go step for step for the kube-subnet-mgr + vxlan case and drops
// the rest (etcd, other backends, healthz, systemd notify). It lives in its own
// Go module so flannel's dependencies never touch the project's go.mod.
//
//	NODE_NAME=netcheck-node1 flanneld -kubeconfig-file K -iface nc-node2 \
//	  -net-config-path net-conf.json -subnet-file /run/.../subnet.env -ip-masq
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/flannel-io/flannel/pkg/backend"
	_ "github.com/flannel-io/flannel/pkg/backend/vxlan" // registers the "vxlan" backend type
	"github.com/flannel-io/flannel/pkg/ipmatch"
	"github.com/flannel-io/flannel/pkg/subnet/kube"
	"github.com/flannel-io/flannel/pkg/trafficmngr"
	"github.com/flannel-io/flannel/pkg/trafficmngr/iptables"
	"github.com/flannel-io/flannel/pkg/trafficmngr/nftables"
	log "k8s.io/klog/v2"
)

type options struct {
	kubeconfig      string
	iface           string
	publicIP        string
	netConfPath     string
	subnetFile      string
	annotation      string
	ipMasq          bool
	forwardRules    bool
	resyncSeconds   int
	netUnavailable  bool
	randomFullyMasq bool
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig-file", "", "kubeconfig for the API server")
	flag.StringVar(&o.iface, "iface", "", "interface (name or IP) that carries VXLAN between nodes")
	flag.StringVar(&o.publicIP, "public-ip", "", "IP other nodes reach this one on (default: the interface's)")
	flag.StringVar(&o.netConfPath, "net-config-path", "/etc/kube-flannel/net-conf.json", "flannel network config (Network, Backend)")
	flag.StringVar(&o.subnetFile, "subnet-file", "/run/flannel/subnet.env", "where to write FLANNEL_SUBNET, FLANNEL_MTU, ...")
	flag.StringVar(&o.annotation, "kube-annotation-prefix", "flannel.alpha.coreos.com", "node annotation prefix")
	flag.BoolVar(&o.ipMasq, "ip-masq", false, "masquerade traffic leaving the overlay")
	flag.BoolVar(&o.randomFullyMasq, "ip-masq-fully-random-disable", false, "disable fully-random mode for MASQUERADE")
	flag.BoolVar(&o.forwardRules, "iptables-forward-rules", true, "accept the pod network in the FORWARD chain")
	flag.IntVar(&o.resyncSeconds, "iptables-resync", 5, "resync period for the rules, in seconds")
	flag.BoolVar(&o.netUnavailable, "set-node-network-unavailable", true, "clear the NetworkUnavailable node condition once ready")
	log.InitFlags(nil)
	flag.Parse()

	if err := run(o); err != nil {
		log.Errorf("flanneld: %v", err)
		log.Flush()
		os.Exit(1)
	}
	log.Info("Exiting cleanly")
	log.Flush()
}

func run(o options) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: stop the goroutines, then wait for them

	sm, err := kube.NewSubnetManager(ctx, "", o.kubeconfig, o.annotation, o.netConfPath, o.netUnavailable)
	if err != nil {
		return fmt.Errorf("create kube subnet manager: %w", err)
	}
	config, err := sm.GetNetworkConfig(ctx)
	if err != nil {
		return fmt.Errorf("read network config: %w", err)
	}
	ipStack, err := ipmatch.GetIPFamily(config.EnableIPv4, config.EnableIPv6)
	if err != nil {
		return fmt.Errorf("ip family: %w", err)
	}

	// Like upstream: a public IP stored in the node annotation wins, so a
	// restarted flanneld keeps the address other nodes already point at.
	publicIP, publicIPv6 := sm.GetStoredPublicIP(ctx)
	if publicIP == "" {
		publicIP = o.publicIP
	}
	extIface, err := ipmatch.LookupExtIface(o.iface, "", "", ipStack, ipmatch.PublicIPOpts{PublicIP: publicIP, PublicIPv6: publicIPv6})
	if err != nil {
		return fmt.Errorf("find interface %q: %w", o.iface, err)
	}

	be, err := backend.NewManager(ctx, sm, extIface).GetBackend(config.BackendType)
	if err != nil {
		return fmt.Errorf("backend %s: %w", config.BackendType, err)
	}
	bn, err := be.RegisterNetwork(ctx, &wg, config)
	if err != nil {
		return fmt.Errorf("register network: %w", err)
	}

	// Remove rules of the traffic manager not in use, then set up the one in use.
	if err := newTrafficManager(!config.EnableNFTables).CleanUp(ctx); err != nil {
		return fmt.Errorf("clean up unused traffic manager: %w", err)
	}
	tm := newTrafficManager(config.EnableNFTables)
	if err := tm.Init(ctx); err != nil {
		return fmt.Errorf("init traffic manager: %w", err)
	}
	prev := readSubnetFile(o.subnetFile)
	if o.ipMasq {
		if err := tm.SetupAndEnsureMasqRules(ctx, config.Network, prev.subnet, prev.network,
			config.IPv6Network, prev.ipv6Subnet, prev.ipv6Network,
			bn.Lease(), o.resyncSeconds, o.randomFullyMasq); err != nil {
			return fmt.Errorf("masquerade rules: %w", err)
		}
	}
	if o.forwardRules {
		tm.SetupAndEnsureForwardRules(ctx, config.Network, config.IPv6Network, o.resyncSeconds)
	}

	if err := sm.HandleSubnetFile(o.subnetFile, config, o.ipMasq, bn.Lease().Subnet, bn.Lease().IPv6Subnet, bn.MTU()); err != nil {
		return fmt.Errorf("write subnet file: %w", err)
	}
	log.Infof("Wrote subnet file to %s; flannel is ready", o.subnetFile)

	wg.Add(1)
	go func() { defer wg.Done(); bn.Run(ctx) }()

	if err := sm.CompleteLease(ctx, bn.Lease(), &wg); err != nil && ctx.Err() == nil {
		return fmt.Errorf("complete lease: %w", err)
	}
	<-ctx.Done()
	return nil
}

func newTrafficManager(useNFTables bool) trafficmngr.TrafficManager {
	if useNFTables {
		return &nftables.NFTablesManager{}
	}
	return &iptables.IPTablesManager{}
}
