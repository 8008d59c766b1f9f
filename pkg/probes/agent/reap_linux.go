//go:build linux

package agent

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// reapChildrenIfInit reaps orphaned processes when the agent is PID 1 of its
// container's PID namespace (exec'd runs whose parent died are re-parented to
// it); without this they would linger as zombies for the container's lifetime.
// The agent starts no children of its own, so reaping any pid steals nothing.
func reapChildrenIfInit() (stop func()) {
	if os.Getpid() != 1 {
		return func() {}
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				for {
					pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
					if pid <= 0 || err != nil {
						break
					}
				}
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(sigs); close(done) }
}
