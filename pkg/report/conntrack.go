package report

import (
	"fmt"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// conntrackNotes are what each node's conntrack failure counters rose by
// during the run, keyed by the ID of the node's "after" nodeinfo result: the
// probe takes each snapshot alone and can only show totals since the
// namespace began, which hide whether this run's connections were dropped.
// The rise is a difference of two reported numbers, printed next to them.
func conntrackNotes(r *v1alpha1.Report) map[string]string {
	before := map[string]*v1alpha1.ConntrackStats{}
	for _, res := range r.Results {
		if res.NodeInfo != nil && res.NodeInfo.Phase == v1alpha1.NodeInfoBefore && res.NodeInfo.Conntrack != nil {
			before[res.Vantage] = res.NodeInfo.Conntrack
		}
	}
	notes := map[string]string{}
	for _, res := range r.Results {
		info := res.NodeInfo
		if info == nil || info.Phase != v1alpha1.NodeInfoAfter || info.Conntrack == nil || before[res.Vantage] == nil {
			continue
		}
		rise := info.Conntrack.RiseSince(*before[res.Vantage])
		notes[res.ID] = fmt.Sprintf("conntrack during the run: drop +%d, early_drop +%d, insert_failed +%d",
			rise.Drop, rise.EarlyDrop, rise.InsertFailed)
	}
	return notes
}
