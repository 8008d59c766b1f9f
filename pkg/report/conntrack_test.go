package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	fx "github.com/kubectl-netcheck/kubectl-netcheck/pkg/diagnose/fixture"
)

// The after snapshot's row shows what the node's conntrack counters rose by
// during the run; the before row and a node without a before snapshot do not.
func TestTableShowsConntrackRiseDuringTheRun(t *testing.T) {
	pair := fx.NodeInfoPair(fx.Node2, func(after *v1alpha1.NodeInfoResult) {
		after.Conntrack.Drop, after.Conntrack.EarlyDrop, after.Conntrack.InsertFailed = 19, 4, 1
	})
	pair[0].NodeInfo.Conntrack.Drop = 7
	lone := fx.NodeInfoPair(fx.Node1, nil)[1]
	r := diagnosed(fx.NodeReport(nil, append(pair, lone)...))

	notes := conntrackNotes(r)
	want := map[string]string{"nodeinfo-after-node2": "conntrack during the run: drop +12, early_drop +4, insert_failed +1"}
	if len(notes) != len(want) || notes["nodeinfo-after-node2"] != want["nodeinfo-after-node2"] {
		t.Errorf("notes = %v, want %v", notes, want)
	}
	var out bytes.Buffer
	if err := printTable(&out, r, 0); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "conntrack during the run"); n != 1 {
		t.Errorf("%d rows with the rise, want the after row of node 2 only:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "; conntrack during the run: drop +12, early_drop +4, insert_failed +1") {
		t.Errorf("table lacks node 2's rise:\n%s", out.String())
	}
}
