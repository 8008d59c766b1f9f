package main

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// enterNetns moves the calling goroutine's thread into the namespace at path
// for good: the thread stays locked, so every socket this goroutine opens
// afterwards belongs to that namespace. The process is a one-shot client, so
// nothing ever needs to switch back.
func enterNetns(path string) error {
	runtime.LockOSThread()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", path, err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	return nil
}
