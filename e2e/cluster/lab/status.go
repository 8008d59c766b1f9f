package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
)

// DaemonNames lists every daemon of the lab in start order.
func DaemonNames() []string {
	names := []string{etcdName, apiserverName, controllerName, schedulerName}
	for _, n := range Nodes {
		for _, d := range []string{containerdD, kubeletD, KubeProxyD, flanneldD} {
			names = append(names, DaemonName(n, d))
		}
	}
	return names
}

// Status prints each daemon's PID and RSS, the total RSS of the cluster
// (daemons, shims and containers) and the nodes and pods kubectl sees.
func (l *Lab) Status(ctx context.Context, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAEMON\tPID\tRSS")
	counted := map[int]bool{}
	var total int64
	for _, name := range DaemonNames() {
		pid, ok := l.Running(name)
		if !ok {
			fmt.Fprintf(tw, "%s\t-\t-\n", name)
			continue
		}
		rss := rssKiB(pid)
		counted[pid] = true
		total += rss
		fmt.Fprintf(tw, "%s\t%d\t%d MiB\n", name, pid, rss/1024)
	}
	var others int64
	n := 0
	for _, pid := range l.labProcesses() {
		if !counted[pid] && alive(pid) {
			counted[pid] = true
			others += rssKiB(pid)
			n++
		}
	}
	fmt.Fprintf(tw, "shims+containers (%d processes)\t\t%d MiB\n", n, others/1024)
	fmt.Fprintf(tw, "TOTAL\t\t%d MiB\n", (total+others)/1024)
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, ok := l.Running(apiserverName); !ok {
		return nil
	}
	for _, args := range [][]string{{"get", "nodes", "-o", "wide"}, {"get", "pods", "-A", "-o", "wide"}} {
		fmt.Fprintln(w)
		cmd := exec.CommandContext(ctx, l.Kubectl(), append([]string{"--kubeconfig", l.Kubeconfig()}, args...)...)
		cmd.Stdout, cmd.Stderr = w, w
		_ = cmd.Run()
	}
	return nil
}

// rssKiB reads VmRSS of a process.
func rssKiB(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

// Env is the shell line that points kubectl at the lab: its kubectl v1.33 and
// the repo's bin/ (kubectl-netcheck) come first on PATH, ahead of any
// unrelated kubectl on the machine.
func (l *Lab) Env() string {
	return fmt.Sprintf("export KUBECONFIG=%s PATH=%s:%s/bin:$PATH", l.Kubeconfig(), l.K8sBinDir(), l.Repo)
}
