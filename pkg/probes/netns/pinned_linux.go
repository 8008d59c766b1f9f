package netns

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Pinned is an OS thread dedicated to visiting namespaces one after another, for
// scans that enter thousands: Do pays for a goroutine and an open of the
// current namespace per call, Pinned pays once. It keeps Do's discipline: the
// thread is locked for the Pinned's life, returns home after every visit, and
// is handed back to the scheduler (unlocked) only if it always got home.
//
// A Pinned belongs to the goroutine that called Pin: call its methods and
// Release from that goroutine only.
type Pinned struct {
	home   int // fd of the thread's own namespace
	broken bool
}

// Pin locks the calling goroutine to its thread and remembers the thread's
// namespace as home.
func Pin() (*Pinned, error) {
	runtime.LockOSThread()
	home, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("open the thread's network namespace: %w", err)
	}
	return &Pinned{home: home}, nil
}

// Socket opens socket(2) inside ns and returns its fd; the thread is back home
// when it returns. The socket keeps the namespace for life: use it from any
// goroutine, and close it.
func (p *Pinned) Socket(ns *NetNS, domain, typ, proto int) (int, error) {
	if p.broken {
		return -1, fmt.Errorf("pinned thread is stuck outside its namespace")
	}
	if err := unix.Setns(ns.Fd(), unix.CLONE_NEWNET); err != nil {
		return -1, fmt.Errorf("enter network namespace %s: %w", ns.Path(), err)
	}
	fd, sockErr := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err := unix.Setns(p.home, unix.CLONE_NEWNET); err != nil {
		p.broken = true
		if sockErr == nil {
			_ = unix.Close(fd)
		}
		return -1, fmt.Errorf("return from network namespace %s (thread will be discarded): %w", ns.Path(), err)
	}
	if sockErr != nil {
		return -1, fmt.Errorf("socket in network namespace %s: %w", ns.Path(), sockErr)
	}
	return fd, nil
}

// Release closes home and unlocks the thread, unless a return home ever failed:
// then the thread stays locked and dies with its goroutine.
func (p *Pinned) Release() {
	_ = unix.Close(p.home)
	if !p.broken {
		runtime.UnlockOSThread()
	}
}
