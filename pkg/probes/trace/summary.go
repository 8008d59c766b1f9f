package trace

// This file builds on every platform: the plugin summarizes a merged trace.

import (
	"fmt"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
)

// Summarize is summarize for a trace the plugin merged from several nodes.
func Summarize(tr *v1alpha1.TraceResult) (v1alpha1.Status, string) { return summarize(tr) }

// summarize decides the status and the one-line summary. The trace passes when
// every probe got the normal answer (SYN-ACK, echo reply); otherwise the line
// names the furthest hop reached and what answered instead.
func summarize(tr *v1alpha1.TraceResult) (v1alpha1.Status, string) {
	answered := 0
	var worst *v1alpha1.TraceProbe
	for i := range tr.Probes {
		p := &tr.Probes[i]
		if p.Reply != nil && (p.Reply.Kind == capture.ReplySYNACK || p.Reply.Kind == capture.ReplyEchoReply) {
			answered++
			continue
		}
		if worst == nil {
			worst = p
		}
	}
	captured := 0
	var broken []string
	for _, h := range tr.Hops {
		if h.LinkType == "" { // the capture sets it on every hop it opened
			broken = append(broken, h.Label)
		} else {
			captured++
		}
	}
	if captured == 0 {
		return v1alpha1.StatusError, "no hop could be captured"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d answered", answered, len(tr.Probes))
	status := v1alpha1.StatusPass
	if worst != nil {
		status = v1alpha1.StatusFail
		switch {
		case worst.LastHop == "":
			b.WriteString("; the probe was seen on no hop")
		case worst.Reply == nil:
			fmt.Fprintf(&b, "; request last seen at %s, nothing came back", worst.LastHop)
		default:
			fmt.Fprintf(&b, "; request last seen at %s, %s first seen at %s", worst.LastHop, worst.Reply.What, worst.Reply.FirstHop)
		}
	}
	if len(broken) > 0 {
		fmt.Fprintf(&b, " (not captured: %s)", strings.Join(broken, ", "))
		if status == v1alpha1.StatusPass {
			status = v1alpha1.StatusWarn
		}
	}
	return status, b.String()
}
