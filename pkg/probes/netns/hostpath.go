package netns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// maxSymlinks bounds symlink hops like the kernel's ELOOP limit.
const maxSymlinks = 40

// HostPath maps a path on the node to one the caller can open when the node's
// filesystem is visible under root (e.g. "/proc/1/root" in a hostPID pod),
// resolving symlinks inside root. The naive root+path is wrong exactly where it
// matters: /var/run is a symlink to "/run", and an absolute symlink reached
// through /proc/1/root is resolved against the caller's own root, so
// "/proc/1/root/var/run/netns/cni-x" would name the probe container's
// /run/netns/cni-x. Missing components are kept as they are (the caller's open
// reports them); ".." never climbs above root. An empty root returns p.
func HostPath(root, p string) (string, error) {
	root = strings.TrimSuffix(root, "/")
	if root == "" {
		return p, nil
	}
	rest := strings.Split(path.Clean("/"+p), "/")[1:]
	resolved := "" // node path resolved so far, "" meaning "/"
	hops := 0
	for len(rest) > 0 {
		comp := rest[0]
		rest = rest[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			resolved = path.Dir("/" + resolved)
			if resolved == "/" {
				resolved = ""
			}
			continue
		}
		next := resolved + "/" + comp
		fi, err := os.Lstat(root + next)
		if errors.Is(err, fs.ErrNotExist) {
			return root + next + joinRest(rest), nil
		}
		if err != nil {
			return "", fmt.Errorf("resolve %s under %s: %w", p, root, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if hops++; hops > maxSymlinks {
			return "", fmt.Errorf("resolve %s under %s: too many symlinks", p, root)
		}
		target, err := os.Readlink(root + next)
		if err != nil {
			return "", fmt.Errorf("resolve %s under %s: %w", p, root, err)
		}
		if strings.HasPrefix(target, "/") {
			resolved = "" // absolute: restart from the node's root, not ours
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	if resolved == "" {
		resolved = "/"
	}
	return root + resolved, nil
}

func joinRest(rest []string) string {
	if len(rest) == 0 {
		return ""
	}
	return "/" + strings.Join(rest, "/")
}
