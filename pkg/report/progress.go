package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// maxEndpointLines bounds the endpoints listed per target in the resolution
// block; a 200-replica Deployment must not scroll the run away.
const maxEndpointLines = 10

// Progress renders live lines on w (stderr) as the run resolves targets and probe events arrive.
// It is safe for concurrent use (agents in several vantages report at once); a nil
// *Progress discards everything, so callers can pass nil for quiet runs.
type Progress struct {
	mu sync.Mutex
	w  io.Writer
	// source is the source pod's vantage; events from other vantages name theirs.
	source string
	// labels remember "check target" per vantage and check ID from started events.
	labels map[string]string
}

// NewProgress returns a progress renderer writing to w.
func NewProgress(w io.Writer) *Progress { return &Progress{w: w, labels: map[string]string{}} }

// Resolved prints what the source and targets resolved to, before any check runs.
func (p *Progress) Resolved(r *v1alpha1.Report) {
	if p == nil || r == nil {
		return
	}
	var lines []string
	s := r.Source
	if s.Pod == "" { // node/NAME
		lines = append(lines, "source   node "+firstNonEmpty(s.Node, "?"))
		if r.Mode != "" {
			lines = append(lines, "mode     "+r.Mode+": "+r.ModeReason)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, l := range lines {
			p.println(l)
		}
		return
	}
	src := fmt.Sprintf("pod %s/%s on node %s (IPs %s)", s.Namespace, s.Pod, firstNonEmpty(s.Node, "?"),
		firstNonEmpty(strings.Join(s.PodIPs, ", "), "none"))
	if s.From != "" {
		src += ", picked from " + s.From
	}
	lines = append(lines, "source   "+src)
	if len(s.Containers) > 0 {
		cs := make([]string, len(s.Containers))
		for i, c := range s.Containers {
			cs[i] = c.Name + " " + firstNonEmpty(c.State, "unknown")
		}
		lines = append(lines, "         containers: "+strings.Join(cs, ", "))
	}
	for _, t := range r.Targets {
		lines = append(lines, "target   "+t.Spec+" -> "+targetDesc(t))
		for i, ep := range t.Endpoint {
			if i == maxEndpointLines {
				lines = append(lines, fmt.Sprintf("         ... and %d more endpoints", len(t.Endpoint)-i))
				break
			}
			ready := "ready"
			if !ep.Ready {
				ready = "NOT READY"
			}
			lines = append(lines, fmt.Sprintf("         endpoint %s:%d pod %s on node %s (%s)", ep.IP, ep.Port,
				firstNonEmpty(ep.Pod, "?"), firstNonEmpty(ep.Node, "?"), ready))
		}
	}
	if r.Mode != "" {
		mode := "mode     " + r.Mode
		if r.ModeReason != "" {
			mode += ": " + r.ModeReason
		}
		lines = append(lines, mode)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.source = "pod " + s.Namespace + "/" + s.Pod
	for _, l := range lines {
		p.println(l)
	}
}

// targetDesc says what one target resolved to, by kind.
func targetDesc(t v1alpha1.Target) string {
	name := t.Name
	if t.Namespace != "" && name != "" {
		name = t.Namespace + "/" + name
	}
	addrs := make([]string, len(t.IPs))
	for i, ip := range t.IPs {
		addrs[i] = ip
		if t.Port > 0 {
			addrs[i] = fmt.Sprintf("%s:%d", ip, t.Port)
		}
	}
	where := firstNonEmpty(strings.Join(addrs, ", "), "no IP")
	if t.Protocol != "" {
		where += "/" + t.Protocol
	}
	switch t.Kind {
	case "service":
		d := "Service " + name + " " + where
		if t.TargetPort != "" {
			d += ", targetPort " + t.TargetPort
		}
		if len(t.Selector) > 0 {
			d += fmt.Sprintf(", %d pods selected", t.SelectedPods)
		}
		return d + fmt.Sprintf(", %d endpoints", len(t.Endpoint))
	case "pod":
		return fmt.Sprintf("pod %s %s on node %s", name, where, firstNonEmpty(t.Node, "?"))
	case "dns":
		return "name " + firstNonEmpty(t.Name, t.Spec)
	}
	return strings.TrimSpace(t.Kind + " " + where)
}

// Event prints one probe event received from the agent at vantage.
func (p *Progress) Event(vantage string, ev v1alpha1.Event) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	at := ""
	if vantage != "" && vantage != p.source {
		at = " [" + vantage + "]"
	}
	key := vantage + "\x00" + ev.CheckID
	switch ev.Type {
	case v1alpha1.EventHello:
		if h := ev.Hello; h != nil {
			p.println(fmt.Sprintf("▸ agent ready in %s: netcheck-probe %s on %s, checks %s", firstNonEmpty(vantage, "?"),
				h.ProbeVersion, firstNonEmpty(h.Hostname, "?"), strings.Join(h.Checks, ",")))
		}
	case v1alpha1.EventStarted:
		p.labels[key] = ev.Message
		p.println(p.fit("· ", ev.Message, " …"+at, ""))
	case v1alpha1.EventProgress:
		p.println(p.fit("· ", p.labelOf(key, ev.CheckID), ": ", ev.Message+at))
	case v1alpha1.EventResult:
		res := ev.Result
		if res == nil {
			return
		}
		label := strings.TrimSpace(res.Check + " " + res.Target)
		mark, status := "▸ ", ""
		if res.Status != v1alpha1.StatusPass {
			mark, status = "✗ ", strings.ToUpper(string(res.Status))+" "
		}
		p.println(p.fit(mark, label, " … ", status+oneLine(firstNonEmpty(res.Summary, res.Error))+at))
		delete(p.labels, vantage+"\x00"+firstNonEmpty(ev.CheckID, res.ID))
	case v1alpha1.EventError:
		p.println("✗ probe in " + firstNonEmpty(vantage, "?") + ": " + oneLine(ev.Message))
	case v1alpha1.EventDone:
		p.println(fmt.Sprintf("▸ %s: done (%s)", firstNonEmpty(vantage, "agent"), firstNonEmpty(ev.Message, "no checks")))
	}
}

// Infof prints one free-form progress line (launching the agent, waiting, ...).
func (p *Progress) Infof(format string, args ...any) {
	if p == nil {
		return
	}
	line := oneLine(fmt.Sprintf(format, args...))
	p.mu.Lock()
	defer p.mu.Unlock()
	p.println("  " + line)
}

func (p *Progress) labelOf(key, checkID string) string {
	if l, ok := p.labels[key]; ok {
		return l
	}
	return checkID
}

// fit joins mark+label+sep+tail into one line of at most lineWidth runes,
// shortening the label (usually a long target) rather than the outcome.
func (p *Progress) fit(mark, label, sep, tail string) string {
	room := lineWidth - utf8.RuneCountInString(mark+sep+tail)
	return mark + ellipsize(oneLine(label), max(room, 20)) + sep + tail
}

// println writes one line; the caller holds p.mu. Write errors are dropped:
// progress is best effort and must never fail the run.
func (p *Progress) println(line string) {
	_, _ = io.WriteString(p.w, line+"\n")
}
