package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// ruleTargetPortUndeclared reports a numeric Service targetPort that selected
// pods do not declare. Declaring container ports is informational, so on its own
// it is a warning; when connects to those pods are refused it is the likely
// reason (the app listens elsewhere) and becomes a fault. Named ports are
// ruleServiceBackends' business: those pods fall out of the endpoints.
func ruleTargetPortUndeclared(d *diagnosis) {
	for _, tv := range d.ix.targets {
		t := tv.t
		if !tv.isService() || t.TargetPort == "" || isNamedPort(t.TargetPort) || len(t.UndeclaredPortPods) == 0 {
			continue
		}
		undeclared := map[string]bool{}
		for _, p := range t.UndeclaredPortPods {
			undeclared[qualify(t.Namespace, p)] = true
		}
		f := newFinding(IDServiceTargetPortUndeclared)
		f.Target = targetLabel(t)
		f.Hop = "Service " + qualify(t.Namespace, t.Name) + " targetPort " + t.TargetPort
		f.Summary = fmt.Sprintf("%s: targetPort %s is declared by no container in %s", f.Target, t.TargetPort,
			podCount(len(t.UndeclaredPortPods), t.SelectedPods))
		f.Evidence = []string{"pods not declaring containerPort " + t.TargetPort + ": " + strings.Join(t.UndeclaredPortPods, ", ")}
		refusedSomewhere := false
		for _, e := range tv.probedEndpoints() {
			if !undeclared[e.stats.podRef()] || e.stats.refusedLike() == 0 {
				continue
			}
			refusedSomewhere = true
			f.Evidence = append(f.Evidence, "connects to "+shortAddrHop(e.stats)+": "+failureRate(e.stats))
			f.CheckIDs = appendUnique(f.CheckIDs, e.stats.checkIDs()...)
		}
		if refusedSomewhere {
			f.Severity = v1alpha1.SeverityFault
			f.Summary += ", and connects to them are refused"
		}
		d.add(f)
	}
}
