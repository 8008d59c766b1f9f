package netns

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// nsfsMountPoints returns the mount points of every nsfs mount in a
// /proc/PID/mountinfo file: namespaces bind-mounted outside the usual
// directories (a runtime with a custom state dir, a leftover from a test) are
// still found, the way lsns finds them. Which namespace type each one is, is
// decided later by the caller.
func nsfsMountPoints(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return parseNsfsMountPoints(bytes.NewReader(data))
}

// parseNsfsMountPoints reads mountinfo lines (proc(5)):
//
//	36 35 0:4 net:[4026532281] /run/netns/cni-1 rw shared:5 - nsfs nsfs rw
//
// field 5 is the mount point (octal-escaped), and the filesystem type follows
// the " - " separator.
func parseNsfsMountPoints(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		sep := strings.Index(line, " - ")
		if sep < 0 {
			continue
		}
		post := strings.Fields(line[sep+3:])
		if len(post) == 0 || post[0] != "nsfs" {
			continue
		}
		pre := strings.Fields(line[:sep])
		if len(pre) < 5 {
			continue
		}
		out = append(out, unescapeMountPath(pre[4]))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse mountinfo: %w", err)
	}
	return out, nil
}

// unescapeMountPath undoes the kernel's \ooo escaping of space, tab, newline and
// backslash in mount paths.
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
