package plan

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Trace defaults. The SYNs of one trace leave at once, so a trace lasts about
// one probe timeout; the far captures may run that long plus captureSlack,
// which covers the sender's exec starting after they began capturing
// (measured on the lab: the sender's trace ends 0.7 s after the far capture
// starts on a healthy path). That window is a cap: the plugin stops the far
// captures as soon as the senders are done (ProbeRequest.StopOnStdin), and
// only a probe without that feature captures all of it. A far capture that
// still ends too early is detected and named, never read as a drop.
const (
	DefaultTraceCount        = 3
	DefaultTraceProbeTimeout = time.Second
	captureSlack             = 4 * time.Second
	traceCheckSlack          = 10 * time.Second
	// FirstTracePort starts the tag ports: above Linux's default ephemeral
	// range (32768-60999), as the trace check itself picks them.
	FirstTracePort = 61000
	// LastTracePort bounds them.
	LastTracePort = 65000
)

// TraceOptions tune the traces of a node view.
type TraceOptions struct {
	// FirstPort is the first TCP tag port; each trace takes Count ports after it.
	FirstPort int
	// FirstICMPID is the echo id of the first ICMP trace; each one after it
	// takes the next id (0 is skipped: "pick one").
	FirstICMPID  uint16
	Count        int
	ProbeTimeout time.Duration
}

// DefaultFirstICMPID is the first echo id when none is given; the engine
// picks a random one per run.
const DefaultFirstICMPID = 0x4e00

func (o TraceOptions) withDefaults() TraceOptions {
	if o.Count <= 0 {
		o.Count = DefaultTraceCount
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = DefaultTraceProbeTimeout
	}
	if o.FirstPort <= 0 {
		o.FirstPort = FirstTracePort
	}
	if o.FirstICMPID == 0 {
		o.FirstICMPID = DefaultFirstICMPID
	}
	return o
}

// CaptureWindow is how long the far halves capture at most.
func (o TraceOptions) CaptureWindow() time.Duration {
	return o.withDefaults().ProbeTimeout + captureSlack
}

// NodeView is what a node view knows of one node: the API's facts and its
// node agent's first snapshot and namespace scan.
type NodeView struct {
	Name string
	Pods []v1alpha1.NodePod
	// InternalIP is the node's InternalIP; VTEPIP flannel's public-ip
	// annotation (the VXLAN underlay address), when set.
	InternalIP, VTEPIP string
	// Info and Scan are nil when the check failed; ScanErr then says why.
	Info    *v1alpha1.NodeInfoResult
	Scan    *v1alpha1.NSScanResult
	ScanErr string
}

// TracePlan is one trace: the sender's check on the source node and the
// capture-only halves on the other nodes the request reaches.
type TracePlan struct {
	// Address is the traced "ip:port" (TCP) or ip (ICMP).
	Address string
	Sender  v1alpha1.CheckSpec
	Far     []FarHalf
	// Problem says why the trace cannot run; Sender then only carries its ID and label.
	Problem string
}

// FarHalf is a capture-only trace half on Node.
type FarHalf struct {
	Node string
	Spec v1alpha1.CheckSpec
}

// TraceID is the ID of the TCP trace to addr ("ip:port").
func TraceID(addr string) string { return "trace:" + addr }

// ICMPTraceID is the ID of the ICMP trace to ip.
func ICMPTraceID(ip string) string { return "trace:icmp:" + ip }

// FarTraceID is the ID of the far half on node of the trace traceID.
func FarTraceID(traceID, node string) string { return traceID + "@" + node }

// Traces plans one trace per TCP check of checks whose address is an IPv4
// literal, and one per ICMP check to the IPv4 address of a known pod (not a
// ClusterIP: kube-proxy does not answer echoes, so a trace would only show
// them vanish): tagged SYNs or echoes from the source pod's netns, captured on
// every hop of the source node (pod eth0, its veth, the bridge, local
// destination pods, the overlay and underlay when the request leaves the
// node) and, by capture-only halves, on each other node hosting a destination
// pod (underlay, overlay, bridge, the pod's veth and eth0). Hops come from the
// nodes' snapshots: the plugin cannot see node interfaces itself, and the pod
// netns by PID comes from the namespace scan. Each trace has its own tags
// (TCP source ports, an ICMP echo id) taken from the options, so traces of one
// run, and of runs started with other options, do not read each other's probes.
func Traces(r *v1alpha1.Report, checks []v1alpha1.CheckSpec, nodes map[string]NodeView, o TraceOptions) []TracePlan {
	o = o.withDefaults()
	src := pathPod{ns: r.Source.Namespace, name: r.Source.Pod, node: r.Source.Node}
	if len(r.Source.PodIPs) > 0 {
		src.ip = r.Source.PodIPs[0]
	}
	var out []TracePlan
	port, icmpID := o.FirstPort, o.FirstICMPID
	for _, c := range checks {
		var p TracePlan
		var probe v1alpha1.TraceSpec
		switch {
		case c.Check == v1alpha1.CheckTCP && c.TCP != nil:
			host, portStr, err := net.SplitHostPort(c.TCP.Address)
			ip, ipErr := netip.ParseAddr(host)
			dport, _ := strconv.Atoi(portStr)
			if err != nil || ipErr != nil || !ip.Is4() {
				continue // names and IPv6 are not traced
			}
			p = TracePlan{Address: c.TCP.Address, Sender: v1alpha1.CheckSpec{ID: TraceID(c.TCP.Address), Check: v1alpha1.CheckTrace, Target: c.Target}}
			if port+o.Count-1 > LastTracePort {
				p.Problem = "out of tag ports for more traces"
				out = append(out, p)
				continue
			}
			probe = v1alpha1.TraceSpec{Destination: ip.String(), Port: dport, Proto: v1alpha1.TraceTCP, SourcePort: port}
			port += o.Count
		case c.Check == v1alpha1.CheckICMP && c.ICMP != nil:
			ip, err := netip.ParseAddr(c.ICMP.Address)
			if err != nil || !ip.Is4() || !podAddress(r, ip.String(), src) {
				continue
			}
			p = TracePlan{Address: ip.String(), Sender: v1alpha1.CheckSpec{ID: ICMPTraceID(ip.String()), Check: v1alpha1.CheckTrace, Target: c.Target}}
			probe = v1alpha1.TraceSpec{Destination: ip.String(), Proto: v1alpha1.TraceICMP, ICMPID: int(icmpID)}
			if icmpID++; icmpID == 0 {
				icmpID = 1
			}
		default:
			continue
		}
		t := tracer{o: o, nodes: nodes, src: src, dsts: destinations(r, probe.Destination, src), seen: map[string]bool{}}
		var err error
		p.Sender, p.Far, err = t.plan(p.Sender, probe)
		if err != nil {
			p.Problem = err.Error()
		}
		out = append(out, p)
	}
	return out
}

// podAddress: ip belongs to a pod the report knows (an endpoint or a pod
// target) other than the source, and is no Service's ClusterIP.
func podAddress(r *v1alpha1.Report, ip string, src pathPod) bool {
	for _, t := range r.Targets {
		if t.Kind == "service" && slices.Contains(t.IPs, ip) {
			return false
		}
	}
	return len(destinations(r, ip, src)) > 0
}

// pathPod is a pod on the path, as the report knows it.
type pathPod struct{ ns, name, node, ip string }

// destinations are the pods a connect to host can end in: the endpoints behind
// a ClusterIP, or the pod owning the address. The source itself (hairpin) is
// left out: its hops are already the first ones.
func destinations(r *v1alpha1.Report, host string, src pathPod) []pathPod {
	var out []pathPod
	add := func(p pathPod) {
		if p.name == "" || (p.ns == src.ns && p.name == src.name) || slices.Contains(out, p) {
			return
		}
		out = append(out, p)
	}
	for _, t := range r.Targets {
		clusterIP := t.Kind == "service" && slices.Contains(t.IPs, host)
		for _, ep := range t.Endpoint {
			if ep.Ready && (clusterIP || ep.IP == host) {
				add(pathPod{ns: t.Namespace, name: ep.Pod, node: ep.Node, ip: ep.IP})
			}
		}
		if t.Pod != "" && t.Kind != "service" && slices.Contains(t.IPs, host) {
			add(pathPod{ns: t.Namespace, name: t.Pod, node: t.Node, ip: host})
		}
	}
	return out
}

// tracer builds the hops of one trace.
type tracer struct {
	o     TraceOptions
	nodes map[string]NodeView
	src   pathPod
	dsts  []pathPod
	// seen labels: two pods of one name in different namespaces get ns/name.
	seen map[string]bool
}

// plan fills in the hops of probe (destination, protocol and tags set) for
// the sender and for a capture-only half on each other node it reaches.
func (t *tracer) plan(sender v1alpha1.CheckSpec, probe v1alpha1.TraceSpec) (v1alpha1.CheckSpec, []FarHalf, error) {
	srcNode, ok := t.nodes[t.src.node]
	if !ok {
		return sender, nil, fmt.Errorf("no node agent on the source node %s", t.src.node)
	}
	pid, srcHops, err := t.podHops(srcNode, t.src, true)
	if err != nil {
		return sender, nil, fmt.Errorf("cannot find the source pod's network namespace: %w", err)
	}
	hops := append(srcHops, t.hop(srcNode.Name, bridgeOf(srcNode), ""))
	leaves := len(t.dsts) == 0 // an address of no known pod may lead anywhere
	var farNodes []string
	for _, d := range t.dsts {
		if d.node != t.src.node {
			leaves = true
			if !slices.Contains(farNodes, d.node) {
				farNodes = append(farNodes, d.node)
			}
			continue
		}
		if _, h, err := t.podHops(srcNode, d, false); err == nil {
			hops = append(hops, h...)
		}
	}
	if leaves {
		hops = append(hops, t.exitHops(srcNode)...)
	}
	sender.TimeoutMillis = int((time.Duration(t.o.Count)*t.o.ProbeTimeout + traceCheckSlack).Milliseconds())
	probe.Count, probe.PcapOut = t.o.Count, true
	send := probe
	send.Source, send.Hops, send.ProbeTimeoutMillis = procNetns(pid), compact(hops), int(t.o.ProbeTimeout.Milliseconds())
	sender.Trace = &send

	slices.Sort(farNodes)
	var far []FarHalf
	for _, name := range farNodes {
		nv, ok := t.nodes[name]
		if !ok {
			continue // no agent there: the trace ends at the source node's underlay
		}
		fh := t.enterHops(nv)
		for _, d := range t.dsts {
			if d.node == name {
				if _, h, err := t.podHops(nv, d, false); err == nil {
					fh = append(fh, h...)
				}
			}
		}
		window := t.o.CaptureWindow()
		capture := probe
		capture.Hops, capture.CaptureOnlyMillis = compact(fh), int(window.Milliseconds())
		far = append(far, FarHalf{Node: name, Spec: v1alpha1.CheckSpec{
			ID: FarTraceID(sender.ID, name), Check: v1alpha1.CheckTrace, Target: sender.Target,
			TimeoutMillis: int((window + traceCheckSlack).Milliseconds()), Trace: &capture,
		}})
	}
	return sender, far, nil
}

// exitHops are the hops a request leaving the node crosses after the bridge.
func (t *tracer) exitHops(nv NodeView) []v1alpha1.TraceHop {
	overlay, underlay := overlayOf(nv)
	return []v1alpha1.TraceHop{t.hop(nv.Name, overlay, ""), t.hop(nv.Name, underlay, "")}
}

// enterHops are the hops a request arriving at a node crosses up to the bridge.
func (t *tracer) enterHops(nv NodeView) []v1alpha1.TraceHop {
	overlay, underlay := overlayOf(nv)
	return []v1alpha1.TraceHop{t.hop(nv.Name, underlay, ""), t.hop(nv.Name, overlay, ""), t.hop(nv.Name, bridgeOf(nv), "")}
}

// hop is a node interface (netns "" is the node agent's own, the node's).
func (t *tracer) hop(node, ifname, netns string) v1alpha1.TraceHop {
	return v1alpha1.TraceHop{Node: node, Name: ifname, Netns: netns, Ifname: ifname}
}

// podHops are a pod's interface (in its netns, by PID) and the host end of
// its veth, in request order: pod first for the sender, veth first for a
// destination. A veth that cannot be named is left out.
func (t *tracer) podHops(nv NodeView, p pathPod, sender bool) (int, []v1alpha1.TraceHop, error) {
	ns, ifc, err := locatePod(nv, p)
	if err != nil {
		return 0, nil, err
	}
	if len(ns.Processes) == 0 {
		return 0, nil, fmt.Errorf("pod %s/%s: its namespace net:[%d] on node %s lists no process to enter it by", p.ns, p.name, ns.Inode, nv.Name)
	}
	pid := ns.Processes[0].PID
	name := "pod " + p.name
	if t.seen[nv.Name+"/"+name] {
		name = "pod " + p.ns + "/" + p.name
	}
	t.seen[nv.Name+"/"+name] = true
	podHop := v1alpha1.TraceHop{Node: nv.Name, Name: name, Netns: procNetns(pid), Ifname: ifc.Name}
	veth := vethOf(nv, ns, ifc)
	if veth == "" {
		return pid, []v1alpha1.TraceHop{podHop}, nil
	}
	vethHop := t.hop(nv.Name, veth, "")
	if sender {
		return pid, []v1alpha1.TraceHop{podHop, vethHop}, nil
	}
	return pid, []v1alpha1.TraceHop{vethHop, podHop}, nil
}

// locatePod finds the pod's namespace in the node's scan: the one the scan
// says it owns, else the only live one holding its IP, and the interface
// holding the IP.
func locatePod(nv NodeView, p pathPod) (*v1alpha1.NetNamespace, *v1alpha1.Interface, error) {
	if nv.Scan == nil {
		return nil, nil, fmt.Errorf("no namespace scan of node %s (%s)", nv.Name, firstNonEmpty(nv.ScanErr, "it did not run"))
	}
	uid := ""
	for _, np := range nv.Pods {
		if np.Namespace == p.ns && np.Name == p.name {
			uid = np.UID
		}
	}
	var owned, holders []*v1alpha1.NetNamespace
	for i := range nv.Scan.Namespaces {
		ns := &nv.Scan.Namespaces[i]
		if ns.Host {
			continue
		}
		if uid != "" && ns.Sandbox != nil && ns.Sandbox.UID == uid {
			owned = append(owned, ns)
		}
		if holding(ns, p.ip) != nil {
			holders = append(holders, ns)
		}
	}
	pick := owned
	if len(pick) == 0 {
		pick = holders
	}
	switch {
	case len(pick) == 0:
		return nil, nil, fmt.Errorf("pod %s/%s (%s): no network namespace on node %s holds its IP", p.ns, p.name, p.ip, nv.Name)
	case len(pick) > 1:
		return nil, nil, fmt.Errorf("pod %s/%s (%s): %d network namespaces on node %s hold its IP and none is known to be the pod's",
			p.ns, p.name, p.ip, len(pick), nv.Name)
	}
	ns := pick[0]
	ifc := holding(ns, p.ip)
	if ifc == nil {
		ifc = &v1alpha1.Interface{Name: "eth0"} // owned but the address is gone: capture where pods have it
	}
	return ns, ifc, nil
}

// holding is the interface of ns that has ip, or nil.
func holding(ns *v1alpha1.NetNamespace, ip string) *v1alpha1.Interface {
	if ip == "" {
		return nil
	}
	for i := range ns.Interfaces {
		for _, a := range ns.Interfaces[i].Addrs {
			if addr, _, _ := strings.Cut(a, "/"); addr == ip {
				return &ns.Interfaces[i]
			}
		}
	}
	return nil
}

// vethOf names the host end of the pod's veth: the bridge port the scan found,
// else the node link whose index is the pod interface's peer.
func vethOf(nv NodeView, ns *v1alpha1.NetNamespace, ifc *v1alpha1.Interface) string {
	if len(ns.BridgePorts) > 0 {
		return ns.BridgePorts[0]
	}
	if nv.Info == nil || ifc.PeerIndex == 0 {
		return ""
	}
	for _, l := range nv.Info.Links {
		if l.Index == ifc.PeerIndex && l.Kind == "veth" {
			return l.Name
		}
	}
	return ""
}

// bridgeOf is the bridge pods attach to.
func bridgeOf(NodeView) string { return DefaultBridge }

// overlayOf names the VXLAN device (flannel.1 when there are several) and the
// underlay its packets leave by: the device's own underlay, else the link
// holding its local address, flannel's public IP or the node's InternalIP.
// Without a snapshot it guesses flannel.1 and no underlay; a hop that does not
// exist is reported as not captured, the others still are.
func overlayOf(nv NodeView) (overlay, underlay string) {
	if nv.Info == nil {
		return "flannel.1", ""
	}
	var vx *v1alpha1.NodeLink
	for i := range nv.Info.Links {
		l := &nv.Info.Links[i]
		if l.Kind == "vxlan" && (vx == nil || l.Name == "flannel.1") {
			vx = l
		}
	}
	if vx == nil {
		// No overlay (host-gw routing): the node's own address leads out.
		return "", linkHolding(nv.Info, nv.VTEPIP, nv.InternalIP)
	}
	if vx.VXLAN != nil && vx.VXLAN.Underlay != "" {
		return vx.Name, vx.VXLAN.Underlay
	}
	local := ""
	if vx.VXLAN != nil {
		local = vx.VXLAN.Local
	}
	return vx.Name, linkHolding(nv.Info, local, nv.VTEPIP, nv.InternalIP)
}

// linkHolding is the first link that holds one of ips, in order.
func linkHolding(info *v1alpha1.NodeInfoResult, ips ...string) string {
	for _, ip := range ips {
		if ip == "" {
			continue
		}
		for _, l := range info.Links {
			for _, a := range l.Addrs {
				if addr, _, _ := strings.Cut(a, "/"); addr == ip {
					return l.Name
				}
			}
		}
	}
	return ""
}

// compact drops hops without an interface and repeats (a destination pod whose
// veth is also listed elsewhere).
func compact(hops []v1alpha1.TraceHop) []v1alpha1.TraceHop {
	out := hops[:0:0]
	seen := map[string]bool{}
	for _, h := range hops {
		key := h.Node + "/" + h.Name
		if h.Ifname == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, h)
	}
	return out
}

func procNetns(pid int) string { return fmt.Sprintf("/proc/%d/ns/net", pid) }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
