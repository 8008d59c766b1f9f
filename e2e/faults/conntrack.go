package faults

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// The dummy entries ConntrackTableFull adds: UDP flows between two TEST-NET
// ranges that no real traffic uses, so the undo deletes exactly them. They are
// ASSURED, which keeps the kernel from evicting them to make room (early_drop
// and the garbage collector only evict unassured entries), and they expire by
// themselves after conntrackDummyTimeout seconds should the undo never run.
var (
	conntrackDummySrc     = net.IPv4(192, 0, 2, 0).To4()    // 192.0.2.0/24, TEST-NET-1
	conntrackDummyDst     = net.IPv4(198, 51, 100, 9).To4() // TEST-NET-2
	conntrackDummyNet     = &net.IPNet{IP: conntrackDummySrc, Mask: net.CIDRMask(24, 32)}
	conntrackDummyTimeout = uint32(300)
)

const (
	// conntrackMaxKey is one value for the whole machine, writable only in
	// the initial network namespace (the host's, node 1's in the lab).
	conntrackMaxKey = "net.netfilter.nf_conntrack_max"
	// conntrackHeadroom is what every other namespace may still add to its
	// table while the max is lowered: the host, node 1 and the pods keep
	// connecting as usual.
	conntrackHeadroom = 3000
	// conntrackNotrack marks the rules that keep node 2's control plane
	// untracked while its table is full.
	conntrackNotrack = "netcheck-e2e: control plane untracked while the table is full"
)

// conntrackMaxSaved records the original max while it is lowered, so a test
// binary that died before its cleanup is repaired by the next one.
var conntrackMaxSaved = filepath.Join(os.TempDir(), "netcheck-e2e-nf_conntrack_max")

// ConntrackFill is what ConntrackTableFull did.
type ConntrackFill struct {
	// OriginalMax is nf_conntrack_max before, Max what it was set to.
	OriginalMax, Max int
	// Added is the number of dummy entries added to the node's table.
	Added int
}

// ConntrackTableFull makes the conntrack table of the node at netnsPath full,
// as a flood of connections would, and undoes it at cleanup: it lowers the
// machine-wide nf_conntrack_max to the largest table of any network namespace
// plus conntrackHeadroom, then fills the node's table up to that max with
// dummy entries. Every new connection through the node's netfilter is then
// dropped ("nf_conntrack: table full, dropping packet"), the drop counter of
// its /proc/net/stat/nf_conntrack climbs, and the other namespaces keep room.
//
// The kubelet's and the API server's connections to the node are exempted
// (raw-table NOTRACK on 10250, 6443 and loopback): the node pod the run uses
// must still start and be exec'd into; an operator's node in this state would
// have lost its control plane too.
func ConntrackTableFull(t testing.TB, netnsPath string) ConntrackFill {
	t.Helper()
	RepairConntrack(t, netnsPath)
	for _, r := range notrackRules() {
		IPTablesRule(t, netnsPath, "raw", r[0], r[1:]...)
	}

	var fill ConntrackFill
	orig, err := readHostConntrackMax()
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	fill.OriginalMax = orig
	counts, err := ConntrackCounts()
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	highest := 0
	for _, c := range counts {
		highest = max(highest, c)
	}
	fill.Max = highest + conntrackHeadroom
	if fill.Max >= orig {
		t.Fatalf("faults: a table holds %d entries: lowering nf_conntrack_max %d to %d would not fill anything", highest, orig, fill.Max)
	}
	if err := os.WriteFile(conntrackMaxSaved, []byte(strconv.Itoa(orig)), 0o644); err != nil {
		t.Fatalf("faults: %v", err)
	}
	if err := writeHostConntrackMax(fill.Max); err != nil {
		_ = os.Remove(conntrackMaxSaved)
		t.Fatalf("faults: %v", err)
	}
	t.Logf("faults: nf_conntrack_max %d -> %d (largest table: %d entries)", orig, fill.Max, highest)
	t.Cleanup(func() {
		if err := writeHostConntrackMax(orig); err != nil {
			t.Errorf("faults: restore nf_conntrack_max=%d: %v", orig, err)
			return
		}
		_ = os.Remove(conntrackMaxSaved)
		t.Logf("faults: nf_conntrack_max back to %d", orig)
	})

	t.Cleanup(func() {
		n, err := deleteConntrackDummies(netnsPath)
		if err != nil {
			t.Errorf("faults: delete dummy conntrack entries in %s: %v", netnsPath, err)
		}
		t.Logf("faults: deleted %d dummy conntrack entries in %s", n, netnsPath)
	})
	fill.Added, err = addConntrackDummies(netnsPath, fill.Max)
	if err != nil {
		t.Fatalf("faults: fill the conntrack table in %s: %v", netnsPath, err)
	}
	t.Logf("faults: added %d dummy conntrack entries in %s", fill.Added, netnsPath)
	return fill
}

// RepairConntrack undoes what a ConntrackTableFull left behind when its test
// binary died before the cleanups ran: the original max, the dummy entries
// and the NOTRACK rules in the namespace at netnsPath.
func RepairConntrack(t testing.TB, netnsPath string) {
	t.Helper()
	done, err := RepairConntrackLeftovers(netnsPath)
	for _, d := range done {
		t.Logf("faults: %s", d)
	}
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
}

// RepairConntrackLeftovers is RepairConntrack for callers without a test,
// such as a TestMain holding the e2e lock: a binary killed while the table was
// full must not leave the machine's nf_conntrack_max lowered until some later
// run happens to inject the same fault. It returns what it repaired.
func RepairConntrackLeftovers(netnsPath string) ([]string, error) {
	var done []string
	if data, err := os.ReadFile(conntrackMaxSaved); err == nil {
		if orig, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && orig > 0 {
			if err := writeHostConntrackMax(orig); err != nil {
				return done, fmt.Errorf("restore nf_conntrack_max=%d left by an earlier run: %w", orig, err)
			}
			done = append(done, fmt.Sprintf("restored nf_conntrack_max=%d left lowered by an earlier run", orig))
		}
		_ = os.Remove(conntrackMaxSaved)
	}
	n, err := deleteConntrackDummies(netnsPath)
	if err != nil {
		return done, err
	}
	if n > 0 {
		done = append(done, fmt.Sprintf("deleted %d dummy conntrack entries left by an earlier run", n))
	}
	for _, r := range notrackRules() {
		for {
			if _, err := iptables(netnsPath, append([]string{"-t", "raw", "-D"}, r...)...); err != nil {
				break // no (more) such rule
			}
			done = append(done, "deleted a NOTRACK rule left by an earlier run: "+strings.Join(r, " "))
		}
	}
	return done, nil
}

// notrackRules are chain and rule of the raw-table exemptions for the
// kubelet (10250), the API server (6443) and loopback (the kubelet's exec
// streams to the container runtime).
func notrackRules() [][]string {
	c := []string{"-m", "comment", "--comment", conntrackNotrack, "-j", "NOTRACK"}
	return [][]string{
		append([]string{"PREROUTING", "-p", "tcp", "-m", "multiport", "--ports", "10250,6443"}, c...),
		append([]string{"OUTPUT", "-p", "tcp", "-m", "multiport", "--ports", "10250,6443"}, c...),
		append([]string{"PREROUTING", "-i", "lo"}, c...),
		append([]string{"OUTPUT", "-o", "lo"}, c...),
	}
}

// ConntrackCounts is the number of entries in the table of every network
// namespace a process holds, by namespace ("net:[4026531833]"): the
// "entries" column of /proc/PID/net/stat/nf_conntrack is that namespace's
// nf_conntrack_count. Namespaces held only by a bind mount under /run/netns
// are read from inside.
func ConntrackCounts() (map[string]int, error) {
	counts := map[string]int{}
	pids, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return nil, err
	}
	for _, p := range pids {
		ns, err := os.Readlink(p + "/ns/net")
		if err != nil || hasKey(counts, ns) {
			continue // gone, or not ours to read (PID 1 of this VM)
		}
		if n, err := statEntries(p + "/net/stat/nf_conntrack"); err == nil {
			counts[ns] = n
		}
	}
	mounts, _ := filepath.Glob("/run/netns/*")
	for _, m := range mounts {
		var st syscall.Stat_t
		if err := syscall.Stat(m, &st); err != nil {
			continue
		}
		ns := fmt.Sprintf("net:[%d]", st.Ino)
		if hasKey(counts, ns) {
			continue
		}
		err := inNetns(m, func() error {
			n, err := statEntries("/proc/thread-self/net/stat/nf_conntrack")
			counts[ns] = n
			return err
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("conntrack count of %s: %w", m, err)
		}
	}
	if len(counts) == 0 {
		return nil, errors.New("no conntrack table found (nf_conntrack not loaded?)")
	}
	return counts, nil
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// statEntries is the "entries" column of the stat file: the namespace's
// nf_conntrack_count, the same on every CPU row.
func statEntries(path string) (int, error) {
	entries, _, err := readConntrackStat(path)
	return int(entries), err
}

// readConntrackStat reads /proc/.../net/stat/nf_conntrack: a header naming
// the columns, then one hex row per CPU. It returns the entries column and
// every column summed over the CPUs. (The e2e library reads it on its own,
// not with the probe's parser, so the faults are checked independently of
// the code under test.)
func readConntrackStat(path string) (entries uint64, sums map[string]uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, nil, fmt.Errorf("%s: no header", path)
	}
	names := strings.Fields(sc.Text())
	sums = map[string]uint64{}
	rows := 0
	for sc.Scan() {
		for i, field := range strings.Fields(sc.Text()) {
			if i >= len(names) {
				break
			}
			v, err := strconv.ParseUint(field, 16, 64)
			if err != nil {
				return 0, nil, fmt.Errorf("%s: %w", path, err)
			}
			if names[i] == "entries" && rows == 0 {
				entries = v
			}
			sums[names[i]] += v
		}
		rows++
	}
	if rows == 0 {
		return 0, nil, fmt.Errorf("%s: no rows", path)
	}
	return entries, sums, sc.Err()
}

// ConntrackCount is nf_conntrack_count of the namespace at netnsPath.
func ConntrackCount(netnsPath string) (int, error) {
	v, err := ReadSysctl(netnsPath, "net.netfilter.nf_conntrack_count")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

func readHostConntrackMax() (int, error) {
	v, err := ReadSysctl(lab.Node1.NetnsPath(), conntrackMaxKey)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

func writeHostConntrackMax(v int) error {
	return inNetns(lab.Node1.NetnsPath(), func() error { return lab.WriteSysctl(conntrackMaxKey, strconv.Itoa(v)) })
}

// addConntrackDummies adds dummy entries to the table of the namespace at
// netnsPath until it holds max entries or the kernel refuses one for want of
// room (ENOMEM: the table is full).
func addConntrackDummies(netnsPath string, max int) (int, error) {
	added := 0
	err := inNetns(netnsPath, func() error {
		count, err := lab.ReadSysctl("net.netfilter.nf_conntrack_count")
		if err != nil {
			return err
		}
		have, _ := strconv.Atoi(count)
		for i := 0; have+added < max; i++ {
			if i >= 250*60000 {
				return errors.New("ran out of dummy tuples")
			}
			err := createDummy(i)
			if errors.Is(err, unix.ENOMEM) {
				return nil // full, a few entries early: other flows came and went
			}
			if err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
			added++
		}
		return nil
	})
	return added, err
}

// createDummy adds dummy flow i: 192.0.2.(1+i/60000):(1024+i%60000) ->
// 198.51.100.9:9, UDP, ASSURED and seen both ways. It speaks ctnetlink
// directly because netlink.ConntrackCreate cannot set the status. CONFIRMED
// is in the status because ctnetlink's entries are born confirmed and it
// refuses (EBUSY) a status that would change that bit.
func createDummy(i int) error {
	src := net.IPv4(192, 0, 2, byte(1+i/60000)).To4()
	sport := uint16(1024 + i%60000)
	req := nl.NewNetlinkRequest(int(netlink.ConntrackTable)<<8|nl.IPCTNL_MSG_CT_NEW, unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	req.AddData(&nl.Nfgenmsg{NfgenFamily: unix.AF_INET, Version: nl.NFNETLINK_V0})
	req.AddData(tupleAttr(nl.CTA_TUPLE_ORIG, src, conntrackDummyDst, sport, 9))
	req.AddData(tupleAttr(nl.CTA_TUPLE_REPLY, conntrackDummyDst, src, 9, sport))
	const ipsSeenReply, ipsAssured, ipsConfirmed = 1 << 1, 1 << 2, 1 << 3
	req.AddData(nl.NewRtAttr(nl.CTA_STATUS, nl.BEUint32Attr(ipsSeenReply|ipsAssured|ipsConfirmed)))
	req.AddData(nl.NewRtAttr(nl.CTA_TIMEOUT, nl.BEUint32Attr(conntrackDummyTimeout)))
	_, err := req.Execute(unix.NETLINK_NETFILTER, 0)
	return err
}

func tupleAttr(kind int, src, dst net.IP, sport, dport uint16) *nl.RtAttr {
	tuple := nl.NewRtAttr(unix.NLA_F_NESTED|kind, nil)
	ip := tuple.AddRtAttr(unix.NLA_F_NESTED|nl.CTA_TUPLE_IP, nil)
	ip.AddRtAttr(nl.CTA_IP_V4_SRC, src)
	ip.AddRtAttr(nl.CTA_IP_V4_DST, dst)
	proto := tuple.AddRtAttr(unix.NLA_F_NESTED|nl.CTA_TUPLE_PROTO, nil)
	proto.AddRtAttr(nl.CTA_PROTO_NUM, []byte{unix.IPPROTO_UDP})
	proto.AddRtAttr(nl.CTA_PROTO_SRC_PORT, nl.BEUint16Attr(sport))
	proto.AddRtAttr(nl.CTA_PROTO_DST_PORT, nl.BEUint16Attr(dport))
	return tuple
}

// deleteConntrackDummies deletes every entry from 192.0.2.0/24 in the table
// of the namespace at netnsPath.
func deleteConntrackDummies(netnsPath string) (uint, error) {
	var n uint
	err := inNetns(netnsPath, func() error {
		f := &netlink.ConntrackFilter{}
		if err := f.AddIPNet(netlink.ConntrackOrigSrcIP, conntrackDummyNet); err != nil {
			return err
		}
		var err error
		n, err = netlink.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, f)
		return err
	})
	return n, err
}

// ConntrackDummies counts the dummy entries in the table of the namespace at
// netnsPath.
func ConntrackDummies(netnsPath string) (int, error) {
	n := 0
	err := inNetns(netnsPath, func() error {
		flows, err := netlink.ConntrackTableList(netlink.ConntrackTable, unix.AF_INET)
		for _, f := range flows {
			if conntrackDummyNet.Contains(f.Forward.SrcIP) {
				n++
			}
		}
		return err
	})
	return n, err
}

// ConntrackDrops is the drop counter of the namespace at netnsPath, summed
// over CPUs: new connections refused an entry because the table was full.
func ConntrackDrops(netnsPath string) (uint64, error) {
	var drops uint64
	err := inNetns(netnsPath, func() error {
		_, sums, err := readConntrackStat("/proc/thread-self/net/stat/nf_conntrack")
		if _, ok := sums["drop"]; err == nil && !ok {
			return errors.New("no drop column")
		}
		drops = sums["drop"]
		return err
	})
	return drops, err
}

// ConntrackResidue lists what of a ConntrackTableFull on the node at
// netnsPath is still in place: dummy entries, NOTRACK rules, a lowered max
// awaiting repair. Empty means fully undone.
func ConntrackResidue(netnsPath string) ([]string, error) {
	var left []string
	n, err := ConntrackDummies(netnsPath)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		left = append(left, fmt.Sprintf("%d dummy entries", n))
	}
	out, err := iptables(netnsPath, "-t", "raw", "-S")
	if err != nil {
		return nil, fmt.Errorf("iptables -t raw -S: %w: %s", err, out)
	}
	if k := strings.Count(out, conntrackNotrack); k > 0 {
		left = append(left, fmt.Sprintf("%d NOTRACK rules", k))
	}
	if _, err := os.Stat(conntrackMaxSaved); err == nil {
		left = append(left, "a saved max to restore ("+conntrackMaxSaved+")")
	}
	return left, nil
}

// HostConntrackMax is the machine-wide nf_conntrack_max.
func HostConntrackMax() (int, error) { return readHostConntrackMax() }
