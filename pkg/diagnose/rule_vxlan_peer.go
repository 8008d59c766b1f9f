package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleVXLANPeerMismatch holds each node's VXLAN neighbour and FDB entries
// against what every peer node published through flannel: the neighbour for
// the peer's VTEP address (its pod CIDR's network address) must carry the
// peer's VtepMAC, and the FDB entry for that MAC must send to the peer's
// public IP. A missing or different entry sends the peer's pod traffic into
// the void after the VXLAN device; the finding shows the entry against the
// annotation and explains the traffic toward that peer.
func ruleVXLANPeerMismatch(d *diagnosis) {
	for _, n := range d.nodes.withInfo() {
		for _, link := range n.vxlanLinks() {
			for _, peer := range d.nodes.list {
				if peer == n {
					continue
				}
				if problems := peerProblems(n, link, peer); len(problems) > 0 {
					d.vxlanPeerFinding(n, link, peer, problems)
				}
			}
		}
	}
}

// peerProblems compares n's entries on link for peer with peer's annotations.
func peerProblems(n *nodeView, link *v1alpha1.NodeLink, peer *nodeView) []string {
	fl, cidr := peer.flannel(), peer.podCIDR()
	if fl == nil || fl.VtepMAC == "" || !cidr.IsValid() {
		return nil
	}
	info := n.info()
	vtepIP := cidr.Addr()
	var problems []string
	var neigh *v1alpha1.NeighborEntry
	for i := range info.Neighbors {
		e := &info.Neighbors[i]
		if e.Link == link.Name && addrOf(e.IP) == vtepIP {
			neigh = e
		}
	}
	switch {
	case neigh == nil || neigh.MAC == "":
		problems = append(problems, fmt.Sprintf("no neighbour entry for %s's VTEP %s on %s (flannel publishes VtepMAC %s)",
			peer.name, vtepIP, link.Name, fl.VtepMAC))
	case !strings.EqualFold(neigh.MAC, fl.VtepMAC):
		problems = append(problems, fmt.Sprintf("neighbour %s on %s -> %s (%s), but %s's flannel annotation says VtepMAC %s",
			vtepIP, link.Name, neigh.MAC, strings.ToLower(firstNonEmpty(neigh.State, "state unknown")), peer.name, fl.VtepMAC))
	}
	if fl.PublicIP == "" {
		return problems
	}
	var fdb *v1alpha1.FDBEntry
	for i := range info.FDB {
		e := &info.FDB[i]
		if e.Link == link.Name && strings.EqualFold(e.MAC, fl.VtepMAC) && e.Dst != "" {
			fdb = e
		}
	}
	switch {
	case fdb == nil:
		problems = append(problems, fmt.Sprintf("no FDB entry for %s's VtepMAC %s on %s (flannel publishes public-ip %s)",
			peer.name, fl.VtepMAC, link.Name, fl.PublicIP))
	case addrOf(fdb.Dst) != addrOf(fl.PublicIP):
		problems = append(problems, fmt.Sprintf("FDB %s on %s -> dst %s, but %s's flannel public-ip is %s",
			fdb.MAC, link.Name, fdb.Dst, peer.name, fl.PublicIP))
	}
	return problems
}

func (d *diagnosis) vxlanPeerFinding(n *nodeView, link *v1alpha1.NodeLink, peer *nodeView, problems []string) {
	across := d.crossesFrom(n.name)
	var toPeer []*addrStats
	for _, s := range across {
		if d.podNodeOf(s) == peer.name {
			toPeer = append(toPeer, s)
		}
	}
	fl := peer.flannel()
	f := newFinding(IDVXLANPeerMismatch)
	f.Target = targetOf(toPeer, nodeLabel(n))
	f.Summary = fmt.Sprintf("%s: node %s's %s sends traffic for node %s's pods to the wrong VTEP: %s",
		f.Target, n.name, link.Name, peer.name, problems[0])
	f.Hop = fmt.Sprintf("node %s after %s (VXLAN toward node %s)", n.name, link.Name, peer.name)
	f.CheckIDs = n.infoIDs()
	f.Evidence = append([]string{}, problems...)
	f.Evidence = append(f.Evidence, fmt.Sprintf("node %s annotations: backend-data VtepMAC %s VNI %d, public-ip %s, podCIDR %s",
		peer.name, fl.VtepMAC, fl.VNI, firstNonEmpty(fl.PublicIP, "?"), peer.facts.PodCIDR))
	i := d.add(f)
	for _, tv := range d.nodes.traceViews() {
		hop, k, of := tv.death()
		if hop < 0 || tv.hopNode(hop) != n.name || d.traceClaimed(tv) {
			continue
		}
		if dst := addrOf(tv.tr.Destination); d.nodes.nodeOfPodIP(dst) != peer && !tracesToward(tv, peer.name) {
			continue
		}
		d.findings[i].Hop = tv.gapAfter(hop)
		d.amend(i, []string{tv.sightingsLine(hop, k, of)}, nil)
		d.claimTrace(i, tv)
	}
	d.explain(i, failing(toPeer))
}

// tracesToward: the trace's hops include node's (the path leads there).
func tracesToward(tv traceView, node string) bool {
	for i := range tv.tr.Hops {
		if tv.hopNode(i) == node {
			return true
		}
	}
	return false
}
