package netns

import (
	"fmt"
	"os"
	"runtime"

	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Do runs fn inside the namespace and returns its error. It follows
// containernetworking/plugins pkg/ns Do: fn runs on a fresh goroutine locked to
// its OS thread; the thread switches into the namespace, runs fn, switches back;
// the thread is unlocked only if switching back worked, otherwise the goroutine
// exits still locked and the Go runtime destroys the thread instead of reusing it
// in the wrong namespace.
//
// Goroutines fn starts do NOT run in the namespace (they may land on any thread),
// and Go's DNS resolver may use other threads too: resolve names outside, or use
// IP literals inside.
func (n *NetNS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Not deferred: unlocking must be skipped when the restore below fails.
		runtime.LockOSThread()
		orig, err := vnetns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := vnetns.Set(n.handle); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter network namespace %s: %w", n.path, err)
			return
		}
		fnErr := fn()
		if err := vnetns.Set(orig); err != nil {
			// Leave the thread locked: when this goroutine exits the runtime
			// kills the thread rather than schedule others on it.
			errc <- fmt.Errorf("switch back from network namespace %s (thread discarded): %w", n.path, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- fnErr
	}()
	return <-errc
}

// Socket opens a socket(2) inside the namespace and returns it as a file. The
// socket stays bound to the namespace for its whole life, so the caller can use
// it from any goroutine (wrap it with net.FileConn / net.FilePacketConn, or use
// the fd directly). The returned socket is close-on-exec.
func (n *NetNS) Socket(domain, typ, proto int) (*os.File, error) {
	var fd int
	err := n.Do(func() error {
		var err error
		fd, err = unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("socket(%d, %d, %d) in network namespace %s: %w", domain, typ, proto, n.path, err)
	}
	return os.NewFile(uintptr(fd), fmt.Sprintf("socket in %s", n.path)), nil
}
