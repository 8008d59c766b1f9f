//go:build !linux

package netns

import "os"

// readSmallFile is the portable version, so the parsers build everywhere.
func readSmallFile(path string, buf []byte) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Read(buf)
}
