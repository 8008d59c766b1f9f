package diagnose

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleServiceBackends reports Services that cannot have working backends, from
// the resolution facts alone: a selector that matches nothing, a named targetPort
// the pods do not declare, or no ready endpoint. The first that applies is the
// root cause; the later ones would only restate it. Connects to the Service IP
// are claimed, since with no backend they cannot succeed.
func ruleServiceBackends(d *diagnosis) {
	for _, tv := range d.ix.targets {
		if !tv.isService() {
			continue
		}
		t := tv.t
		ready := readyEndpoints(t)
		explained := -1
		if len(t.Selector) > 0 && t.SelectedPods == 0 {
			f := newFinding(IDServiceSelectorMatchesNone)
			f.Target = targetLabel(t)
			f.Summary = fmt.Sprintf("%s: selector %s matches no pod in namespace %s", f.Target, selectorString(t.Selector), t.Namespace)
			f.Hop = "Service " + qualify(t.Namespace, t.Name) + " selector"
			f.Evidence = []string{
				"selector: " + selectorString(t.Selector),
				fmt.Sprintf("pods selected: 0; endpoints: %d", len(t.Endpoint)),
			}
			explained = d.add(f)
		}
		if isNamedPort(t.TargetPort) && len(t.UndeclaredPortPods) > 0 {
			f := newFinding(IDServiceNamedPortUnresolved)
			f.Target = targetLabel(t)
			f.Summary = fmt.Sprintf("%s: targetPort %q is declared by no container in %s", f.Target, t.TargetPort,
				podCount(len(t.UndeclaredPortPods), t.SelectedPods))
			f.Hop = "Service " + qualify(t.Namespace, t.Name) + " targetPort " + t.TargetPort
			f.Evidence = []string{
				fmt.Sprintf("pods without a containerPort named %q (left out of the endpoints): %s", t.TargetPort,
					strings.Join(t.UndeclaredPortPods, ", ")),
				fmt.Sprintf("endpoints: %d ready of %d", ready, len(t.Endpoint)),
			}
			f.Fix = fmt.Sprintf("Add `ports: [{name: %s, containerPort: N}]` to the pod template, or set the Service "+
				"targetPort to the number the application listens on.", t.TargetPort)
			i := d.add(f)
			if explained < 0 && ready == 0 {
				explained = i
			}
		}
		if explained < 0 && ready == 0 {
			f := newFinding(IDServiceNoReadyEndpoints)
			f.Target = targetLabel(t)
			f.Hop = "Service " + qualify(t.Namespace, t.Name) + " endpoints"
			if len(t.Endpoint) == 0 {
				f.Summary = fmt.Sprintf("%s has no endpoints (%d pods selected)", f.Target, t.SelectedPods)
			} else {
				f.Summary = fmt.Sprintf("%s has %s, none ready", f.Target, plural(len(t.Endpoint), "endpoint", "endpoints"))
			}
			for _, ep := range t.Endpoint {
				f.Evidence = append(f.Evidence, fmt.Sprintf("%s (%s): not ready", hostPort(ep.IP, ep.Port),
					podOnNode(qualify(t.Namespace, ep.Pod), ep.Node)))
			}
			if len(t.Selector) > 0 {
				f.Evidence = append(f.Evidence, fmt.Sprintf("selector %s selects %d pods", selectorString(t.Selector), t.SelectedPods))
			}
			explained = d.add(f)
		}
		if explained < 0 || ready > 0 {
			continue
		}
		for _, s := range tv.front {
			d.amend(explained, []string{"connects to the Service IP " + connectLine(s)}, s.checkIDs())
			d.claim(s.addr, explained)
		}
		// Backends that are not ready refusing or ignoring connects is the expected
		// symptom, not a second fault.
		for _, e := range tv.probedEndpoints() {
			d.amend(explained, []string{"connects to " + rateLine(e.stats)}, e.stats.checkIDs())
			d.claim(e.stats.addr, explained)
		}
	}
}

func readyEndpoints(t *v1alpha1.Target) int {
	n := 0
	for _, ep := range t.Endpoint {
		if ep.Ready {
			n++
		}
	}
	return n
}

// isNamedPort: a targetPort written as a name ("http") rather than a number.
func isNamedPort(p string) bool {
	if p == "" {
		return false
	}
	_, err := strconv.Atoi(p)
	return err != nil
}

func selectorString(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + sel[k]
	}
	return strings.Join(parts, ",")
}

// podCount renders "2 of 3 selected pods", or "2 pods" when the selected count is unknown.
func podCount(n, selected int) string {
	if selected >= n && selected > 0 {
		return fmt.Sprintf("%d of %d selected pods", n, selected)
	}
	return plural(n, "pod", "pods")
}
