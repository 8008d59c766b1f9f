package netns

import (
	"fmt"
	"strconv"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ID identifies a network namespace node-wide: the device and inode of its nsfs
// file. Two paths (a /proc/PID/ns/net link, a bind mount under /run/netns) name
// the same namespace exactly when their IDs are equal.
type ID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

func (id ID) String() string { return fmt.Sprintf("net:[%d]", id.Ino) }

// NetNS is an open network namespace. The open file descriptor keeps the
// namespace alive even if every process in it exits, so Close it when done.
type NetNS struct {
	handle vnetns.NsHandle
	path   string
	id     ID
}

// Open opens the network namespace at path: a /proc/PID/ns/net link or a bind
// mount such as /run/netns/cni-1234. It refuses files that are not network
// namespaces, so a stray file under /run/netns cannot be mistaken for one.
func Open(path string) (*NetNS, error) {
	h, err := vnetns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("open network namespace %s: %w", path, err)
	}
	ns := &NetNS{handle: h, path: path}
	if err := ns.init(); err != nil {
		_ = h.Close()
		return nil, err
	}
	return ns, nil
}

// OpenPID opens the network namespace process pid lives in.
func OpenPID(procRoot string, pid int) (*NetNS, error) {
	return Open(procRoot + "/" + strconv.Itoa(pid) + "/ns/net")
}

// Current opens the namespace of the calling thread (the probe's own namespace,
// which with hostNetwork is the node's).
func Current() (*NetNS, error) {
	return Open("/proc/thread-self/ns/net")
}

func (n *NetNS) init() error {
	t, err := unix.IoctlRetInt(int(n.handle), unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("%s is not a namespace file: %w", n.path, err)
	}
	if t != unix.CLONE_NEWNET {
		return fmt.Errorf("%s is a namespace of another type (%#x), not a network namespace", n.path, t)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(n.handle), &st); err != nil {
		return fmt.Errorf("stat network namespace %s: %w", n.path, err)
	}
	n.id = ID{Dev: st.Dev, Ino: st.Ino}
	return nil
}

// ID is the namespace's node-wide identity.
func (n *NetNS) ID() ID { return n.id }

// Path is the path the namespace was opened from.
func (n *NetNS) Path() string { return n.path }

// Fd is the open namespace file descriptor, valid until Close.
func (n *NetNS) Fd() int { return int(n.handle) }

// Close releases the namespace file descriptor.
func (n *NetNS) Close() error {
	if err := n.handle.Close(); err != nil {
		return fmt.Errorf("close network namespace %s: %w", n.path, err)
	}
	return nil
}

// NetlinkHandle returns a NETLINK_ROUTE handle whose socket lives in this
// namespace; it can then be used from any goroutine (links, addresses, routes,
// neighbours of this namespace). netlink creates the socket on a locked thread
// switched into the namespace and switches back. Close the handle when done.
func (n *NetNS) NetlinkHandle() (*netlink.Handle, error) {
	h, err := netlink.NewHandleAt(n.handle, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in network namespace %s: %w", n.path, err)
	}
	return h, nil
}

// StatID returns the namespace ID of an nsfs path without opening it: a cheap
// stat(2) that follows /proc/PID/ns/net links and reads bind mounts.
func StatID(path string) (ID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return ID{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return ID{Dev: st.Dev, Ino: st.Ino}, nil
}
