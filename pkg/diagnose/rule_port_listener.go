package diagnose

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// rulePortListener explains refused connects to a pod from the pod's own socket
// table (netinfo gathered with Vantage "pod NS/NAME"): a server bound to loopback
// only, or no server on the port at all. It only speaks when every attempt was
// actively refused; timeouts are not a listener problem.
//
// It assumes the plugin runs netinfo in target pods with Listeners requested: an
// empty listener list then means "nothing listens", not "not collected".
func rulePortListener(d *diagnosis) {
	for _, s := range d.ix.addrs {
		if d.isClaimed(s.addr) || !s.allFailed() || s.refusedLike() != s.total {
			continue
		}
		ni, ok := d.ix.netinfoOf(s.podRef())
		if !ok {
			continue
		}
		view := listenersOn(ni.info, s.port(), s.ip())
		if view.reachable {
			continue // a listener is there: the refusal comes from elsewhere (see rejectNote)
		}
		id := IDPortNotListening
		if len(view.loopback) > 0 {
			id = IDListeningOnLoopbackOnly
		}
		f := newFinding(id)
		f.Target = s.targetLabel()
		f.Hop = addrHop(s)
		f.CheckIDs = appendUnique(s.checkIDs(), ni.checkID)
		f.Evidence = []string{"connects to " + connectLine(s)}
		if id == IDListeningOnLoopbackOnly {
			f.Summary = fmt.Sprintf("%s: pod %s listens on %s only, so %s is refused", f.Target, s.podRef(),
				strings.Join(view.loopback, ", "), s.addr)
			f.Evidence = append(f.Evidence, fmt.Sprintf("pod %s TCP listeners on port %d: %s (loopback only)",
				s.podRef(), s.port(), strings.Join(view.loopback, ", ")))
			f.Fix = fmt.Sprintf("Make the server in pod %s bind 0.0.0.0:%d (or [::]:%d) instead of %s.",
				s.podRef(), s.port(), s.port(), view.loopback[0])
		} else {
			f.Summary = fmt.Sprintf("%s: nothing listens on port %d in pod %s", f.Target, s.port(), s.podRef())
			f.Evidence = append(f.Evidence, fmt.Sprintf("pod %s TCP listeners: %s", s.podRef(), view.othersText()))
		}
		i := d.add(f)
		d.claim(s.addr, i)
	}
}

// listenerView sorts the TCP listeners of a namespace relative to one port and pod IP.
type listenerView struct {
	// reachable: a wildcard or pod-IP listener on the port exists.
	reachable bool
	// loopback are loopback listeners on the port, e.g. "127.0.0.1:8080".
	loopback []string
	// other are every other TCP listener ("0.0.0.0:9090"), to show what does listen.
	other []string
}

func listenersOn(ni *v1alpha1.NetInfo, port int, podIP string) listenerView {
	var v listenerView
	for _, l := range ni.Listeners {
		if !strings.HasPrefix(l.Proto, "tcp") {
			continue
		}
		addr := strings.Trim(l.Addr, "[]")
		label := net.JoinHostPort(addrOrWildcard(addr), strconv.Itoa(l.Port))
		if l.Port != port {
			v.other = append(v.other, label)
			continue
		}
		ip := net.ParseIP(addr)
		switch {
		case isWildcard(addr), ip != nil && ip.Equal(net.ParseIP(podIP)):
			v.reachable = true
		case ip != nil && ip.IsLoopback():
			v.loopback = append(v.loopback, label)
		default:
			v.other = append(v.other, label)
		}
	}
	sort.Strings(v.other)
	return v
}

func (v listenerView) othersText() string {
	if len(v.other) == 0 {
		return "none"
	}
	return strings.Join(v.other, ", ")
}

func isWildcard(addr string) bool {
	switch addr {
	case "", "*", "0.0.0.0", "::":
		return true
	}
	return false
}

func addrOrWildcard(a string) string {
	if a == "" || a == "*" {
		return "0.0.0.0"
	}
	return a
}

// rejectNote explains a refusal when the pod does have a reachable listener on
// the port: then the RST/ICMP came from a REJECT rule, not from the application.
func rejectNote(ix *index, s *addrStats) string {
	ni, ok := ix.netinfoOf(s.podRef())
	if !ok {
		return ""
	}
	if !listenersOn(ni.info, s.port(), s.ip()).reachable {
		return ""
	}
	return fmt.Sprintf("pod %s does listen on port %d (netinfo), so the refusal comes from a REJECT rule "+
		"(NetworkPolicy or iptables), not from the application", s.podRef(), s.port())
}
