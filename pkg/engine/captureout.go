package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/capture"
)

// keepCapture remembers one trace half's pcapng, captured on node.
func (r *run) keepCapture(node string, pcapng []byte) {
	if len(pcapng) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.captures == nil {
		r.captures = map[string][][]byte{}
	}
	r.captures[node] = append(r.captures[node], pcapng)
}

// writeCaptures writes --capture-out: one pcapng per node, with one interface
// block per hop of that node (traces that crossed the same hop share it).
func (r *run) writeCaptures() error {
	if r.cfg.CaptureOut == "" {
		return nil
	}
	r.mu.Lock()
	captures := r.captures
	r.mu.Unlock()
	if len(captures) == 0 {
		r.deps.Progress.Infof("--capture-out: no trace captured anything, no file written")
		return nil
	}
	if err := os.MkdirAll(r.cfg.CaptureOut, 0o755); err != nil {
		return fmt.Errorf("--capture-out: %w", err)
	}
	nodes := make([]string, 0, len(captures))
	for n := range captures {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, node := range nodes {
		merged, err := MergeCaptures(captures[node])
		if err != nil {
			return fmt.Errorf("--capture-out: node %s: %w", node, err)
		}
		var buf bytes.Buffer
		if err := merged.WritePcapNG(&buf, bpf.DefaultSnapLen); err != nil {
			return fmt.Errorf("--capture-out: node %s: %w", node, err)
		}
		path := filepath.Join(r.cfg.CaptureOut, CaptureFileName(node))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--capture-out: %w", err)
		}
		r.deps.Progress.Infof("wrote %s: %d hops, %d packets", path, len(merged.Interfaces), len(merged.Packets))
	}
	return nil
}

var notFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// CaptureFileName is the --capture-out file of node.
func CaptureFileName(node string) string {
	return notFileChars.ReplaceAllString(node, "_") + ".pcapng"
}

// MergeCaptures joins pcapng captures of one node into one: an interface per
// hop label, however many captures had it, and every packet in time order.
func MergeCaptures(files [][]byte) (*capture.Result, error) {
	out := &capture.Result{}
	index := map[string]int{}
	for i, f := range files {
		c, err := capture.ReadPcapNG(bytes.NewReader(f))
		if err != nil {
			return nil, fmt.Errorf("capture %d: %w", i, err)
		}
		remap := make([]int, len(c.Interfaces))
		for j, ifc := range c.Interfaces {
			k, ok := index[ifc.Label]
			if !ok {
				k = len(out.Interfaces)
				index[ifc.Label] = k
				out.Interfaces = append(out.Interfaces, capture.InterfaceResult{Interface: ifc.Interface, Link: ifc.Link})
			}
			out.Interfaces[k].Packets += ifc.Packets
			remap[j] = k
		}
		for _, p := range c.Packets {
			p.Iface = remap[p.Iface]
			out.Packets = append(out.Packets, p)
		}
	}
	slices.SortStableFunc(out.Packets, func(a, b capture.Packet) int { return a.Info.Timestamp.Compare(b.Info.Timestamp) })
	return out, nil
}
