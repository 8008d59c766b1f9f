package netinfo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Socket states in /proc/net/{tcp,udp}: TCP_LISTEN for listening TCP sockets and
// TCP_CLOSE for UDP sockets that are bound but not connected.
const (
	stateListen = 0x0A
	stateClose  = 0x07
)

// ProcNetDir is the /proc/net of the calling thread's network namespace.
// /proc/net follows the thread group leader, which is the wrong namespace when
// this thread has setns'ed into a pod; /proc/thread-self/net follows the thread.
func ProcNetDir() string {
	if _, err := os.Stat("/proc/thread-self/net"); err == nil {
		return "/proc/thread-self/net"
	}
	return "/proc/net"
}

// Listeners reads listening TCP and bound UDP sockets from dir (a /proc/net),
// IPv4 and IPv6, deduplicated (SO_REUSEPORT groups show once) and sorted.
func Listeners(dir string) ([]v1alpha1.Listener, error) {
	var out []v1alpha1.Listener
	seen := map[v1alpha1.Listener]bool{}
	for _, f := range []struct{ file, proto string }{{"tcp", "tcp"}, {"tcp6", "tcp6"}, {"udp", "udp"}, {"udp6", "udp6"}} {
		data, err := os.ReadFile(filepath.Join(dir, f.file))
		if errors.Is(err, fs.ErrNotExist) {
			continue // IPv6 disabled: no tcp6/udp6
		}
		if err != nil {
			return nil, fmt.Errorf("read listening sockets: %w", err)
		}
		want := stateListen
		if strings.HasPrefix(f.proto, "udp") {
			want = stateClose
		}
		ls, err := ParseProcNet(bytes.NewReader(data), f.proto, want)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, f.file), err)
		}
		for _, l := range ls {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Proto != out[j].Proto {
			return out[i].Proto < out[j].Proto
		}
		if out[i].Port != out[j].Port {
			return out[i].Port < out[j].Port
		}
		return out[i].Addr < out[j].Addr
	})
	return out, nil
}

// ParseProcNet parses one /proc/net/{tcp,udp}[6] table and returns the sockets in
// state wantState whose remote end is unset (listening or unconnected-bound).
// Proto is copied into each Listener ("tcp", "tcp6", "udp", "udp6").
func ParseProcNet(r io.Reader, proto string, wantState int) ([]v1alpha1.Listener, error) {
	var out []v1alpha1.Listener
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header line: "  sl  local_address rem_address   st ..."
			first = false
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		st, err := strconv.ParseUint(fields[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("socket state %q: %w", fields[3], err)
		}
		if int(st) != wantState || !zeroPort(fields[2]) {
			continue
		}
		ip, port, err := parseHexAddr(fields[1])
		if err != nil {
			return nil, err
		}
		out = append(out, v1alpha1.Listener{Proto: proto, Addr: ip.String(), Port: port})
	}
	return out, sc.Err()
}

// zeroPort reports whether a remote "ADDR:PORT" has port 0 (not connected).
func zeroPort(rem string) bool {
	return strings.HasSuffix(rem, ":0000")
}

// parseHexAddr decodes "0100007F:1F90" (IPv4) or the 32-hex-digit IPv6 form. The
// kernel prints each 32-bit word of the address in host byte order, so every
// 4-byte group is reversed on little-endian machines.
func parseHexAddr(s string) (net.IP, int, error) {
	host, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, fmt.Errorf("address %q has no port", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("port in %q: %w", s, err)
	}
	raw, err := hex.DecodeString(host)
	if err != nil || (len(raw) != net.IPv4len && len(raw) != net.IPv6len) {
		return nil, 0, fmt.Errorf("address %q is not 8 or 32 hex digits", s)
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 {
		binary.BigEndian.PutUint32(ip[w:w+4], binary.NativeEndian.Uint32(raw[w:w+4]))
	}
	return ip, int(port), nil
}
