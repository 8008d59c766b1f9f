//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/afpacket"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/bpf"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/probes/netns"
)

// Defaults for Options left at zero.
const (
	DefaultMaxPackets = 10000
	DefaultBlockSize  = 256 << 10
	DefaultNumBlocks  = 8
)

// Ring timing: a TPACKET_V3 block reaches user space when full or after
// blockTimeout; polls wake every pollTimeout to notice Stop. pollTimeout is
// longer than blockTimeout so that one empty poll after Stop means every packet
// received before Stop has been read.
const (
	blockTimeout = 10 * time.Millisecond
	pollTimeout  = 50 * time.Millisecond
	// busyGrace bounds the drain after Stop on an interface that never goes quiet.
	busyGrace = 300 * time.Millisecond
)

// Options tune a capture.
type Options struct {
	// Filter selects the packets kept; its link type is chosen per interface.
	Filter bpf.Filter
	// MaxPackets caps the packets kept per interface (later ones are counted, not kept).
	MaxPackets int
	// BlockSize and NumBlocks size each interface's ring.
	BlockSize, NumBlocks int
}

// Session is a running capture.
type Session struct {
	readers  []*reader
	stopping atomic.Bool
	stopAt   atomic.Int64 // unix nanos of Stop
	wg       sync.WaitGroup
	cancel   context.CancelFunc
	once     sync.Once
	result   *Result
}

// Start opens every interface with the filter attached and starts reading. When
// it returns, packets sent from then on are captured. An interface that cannot be
// opened is reported in the result; Start fails only when none can.
func Start(ctx context.Context, ifaces []Interface, opts Options) (*Session, error) {
	if len(ifaces) == 0 {
		return nil, errors.New("capture: no interfaces")
	}
	if err := opts.Filter.Validate(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	s := &Session{cancel: cancel}
	opened := 0
	for i, ifc := range ifaces {
		r := &reader{index: i, res: InterfaceResult{Interface: ifc}, max: opts.MaxPackets}
		if err := r.open(opts); err != nil {
			r.res.Err = err
		} else {
			opened++
		}
		s.readers = append(s.readers, r)
	}
	if opened == 0 {
		cancel()
		return nil, fmt.Errorf("capture: no interface could be opened: %w", s.readers[0].res.Err)
	}
	for _, r := range s.readers {
		if r.tp != nil {
			s.wg.Go(func() { r.loop(ctx, s) })
		}
	}
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.MaxPackets <= 0 {
		o.MaxPackets = DefaultMaxPackets
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	// The ring wants whole pages and whole frames per block.
	const unit = afpacket.DefaultFrameSize
	o.BlockSize = (o.BlockSize + unit - 1) / unit * unit
	if o.NumBlocks <= 0 {
		o.NumBlocks = DefaultNumBlocks
	}
	return o
}

// Stop drains what the kernel already queued, closes every socket and returns
// the capture. It is safe to call more than once.
func (s *Session) Stop() *Result {
	s.once.Do(func() {
		s.stopAt.Store(time.Now().UnixNano())
		s.stopping.Store(true)
		s.wg.Wait()
		s.cancel()
		s.result = s.collect()
	})
	return s.result
}

// collect closes the sockets and merges the packets of all interfaces by time.
func (s *Session) collect() *Result {
	res := &Result{}
	for _, r := range s.readers {
		r.close()
		r.res.Packets = len(r.packets)
		res.Interfaces = append(res.Interfaces, r.res)
		res.Packets = append(res.Packets, r.packets...)
	}
	sortByTime(res.Packets)
	return res
}

// reader owns one interface's socket and the packets read from it.
type reader struct {
	index   int
	res     InterfaceResult
	tp      *afpacket.TPacket
	armed   time.Time // packets stamped earlier predate the filter
	max     int
	packets []Packet
	arena   arena
}

// open creates the socket inside the interface's namespace. Links with an
// Ethernet header are read raw; the others (tunl0, wireguard) cooked, from the
// IP header.
func (r *reader) open(opts Options) error {
	ns, err := openNetns(r.res.Netns)
	if err != nil {
		return err
	}
	defer ns.Close()
	err = ns.Do(func() error {
		ifc, err := net.InterfaceByName(r.res.Ifname)
		if err != nil {
			return fmt.Errorf("interface %s: %w", r.res.Ifname, err)
		}
		r.res.Ifindex = ifc.Index
		socket := afpacket.SocketRaw
		r.res.Link = bpf.LinkEthernet
		if len(ifc.HardwareAddr) != 6 {
			r.res.Link, socket = bpf.LinkIP, afpacket.SocketDgram
		}
		r.tp, err = afpacket.NewTPacket(afpacket.OptInterface(r.res.Ifname), socket, afpacket.TPacketVersion3,
			afpacket.OptFrameSize(afpacket.DefaultFrameSize), afpacket.OptBlockSize(opts.BlockSize), afpacket.OptNumBlocks(opts.NumBlocks),
			afpacket.OptBlockTimeout(blockTimeout), afpacket.OptPollTimeout(pollTimeout))
		if err != nil {
			return fmt.Errorf("af_packet socket on %s: %w", r.res.Ifname, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("capture %s (%s in %q): %w", r.res.Label, r.res.Ifname, r.res.Netns, err)
	}
	prog, err := opts.Filter.Assemble(r.res.Link)
	if err == nil {
		err = r.tp.SetBPF(prog)
	}
	if err != nil {
		r.tp.Close()
		r.tp = nil
		return fmt.Errorf("capture %s: attach filter: %w", r.res.Label, err)
	}
	// The socket was bound before the filter was attached: whatever it queued
	// meanwhile is unfiltered and stamped before now.
	r.armed = time.Now()
	return nil
}

// loop reads until Stop (plus the drain) or ctx ends.
func (r *reader) loop(ctx context.Context, s *Session) {
	for {
		data, ci, err := r.tp.ZeroCopyReadPacketData()
		if s.stopping.Load() && (err != nil || time.Since(time.Unix(0, s.stopAt.Load())) > busyGrace) {
			return // an empty poll after Stop: everything before Stop is read
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, afpacket.ErrTimeout) {
			continue
		}
		if err != nil {
			r.res.Err = fmt.Errorf("capture %s: read: %w", r.res.Label, err)
			return
		}
		if ci.Timestamp.Before(r.armed) {
			continue
		}
		if len(r.packets) >= r.max {
			r.res.Overflow++
			continue
		}
		ci.CaptureLength = len(data)
		r.packets = append(r.packets, Packet{Iface: r.index, Info: ci, Data: r.arena.copy(data)})
	}
}

func (r *reader) close() {
	if r.tp == nil {
		return
	}
	if _, v3, err := r.tp.SocketStats(); err == nil {
		r.res.Dropped = int(v3.Drops())
	}
	r.tp.Close()
	r.tp = nil
}

func openNetns(path string) (*netns.NetNS, error) {
	if path == "" {
		return netns.Current()
	}
	return netns.Open(path)
}

// arena hands out packet copies from large chunks: one allocation per chunk
// instead of one per packet.
type arena struct{ chunk []byte }

const arenaChunk = 256 << 10

func (a *arena) copy(data []byte) []byte {
	if len(data) > cap(a.chunk)-len(a.chunk) {
		a.chunk = make([]byte, 0, max(arenaChunk, len(data)))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, data...)
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}
