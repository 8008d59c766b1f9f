package netns

import "golang.org/x/sys/unix"

// readSmallFile reads up to len(buf) bytes with one read(2): procfs returns a
// whole stat line in one read, and os.ReadFile's extra fstat, second read and
// poller registration double the cost per process.
func readSmallFile(path string, buf []byte) (int, error) {
	var fd int
	var err error
	for {
		if fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Read(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}
