package faults

import (
	"fmt"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
	"github.com/vishvananda/netlink"
)

// inNetns runs fn on a thread inside the namespace at path.
func inNetns(path string, fn func() error) error {
	ns, err := netns.Open(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	return ns.Do(fn)
}

// netlinkAt opens a netlink handle bound to the namespace at path; it closes
// when the test ends (cleanups that need it run before that).
func netlinkAt(t testing.TB, path string) *netlink.Handle {
	t.Helper()
	ns, err := netns.Open(path)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		t.Fatalf("faults: netlink in %s: %v", path, err)
	}
	return h
}

func linkIn(t testing.TB, h *netlink.Handle, dev, where string) netlink.Link {
	t.Helper()
	link, err := h.LinkByName(dev)
	if err != nil {
		t.Fatalf("faults: no link %s in %s: %v", dev, where, err)
	}
	return link
}

func errorf(format string, args ...any) error { return fmt.Errorf("faults: "+format, args...) }
