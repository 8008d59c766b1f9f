package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes an exclusive flock on a file under the lab folder and returns the
// release function. It serialises builds and imports between a concurrent `up`,
// `import-images` and e2e test binaries; the kernel drops it if we die.
func (l *Lab) lock(name string) (func(), error) { return l.flock(name, syscall.LOCK_EX) }

// TryLock is Lock that gives up at once; ok is false when someone else holds it.
func (l *Lab) TryLock(name string) (unlock func(), ok bool, err error) {
	unlock, err = l.flock(name, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, false, nil
	}
	return unlock, err == nil, err
}

func (l *Lab) flock(name string, how int) (func(), error) {
	path := l.path("locks", name+".lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Lock is lock for other packages (the e2e framework serialises test binaries
// that share the cluster with it).
func (l *Lab) Lock(name string) (func(), error) { return l.lock(name) }
