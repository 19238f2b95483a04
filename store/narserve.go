package store

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/govix/govix/castore"
)

// StoredBlobs is implemented by a blob backend on this machine that can
// hand out the bytes it holds without verifying them again, because it
// verified them when it wrote them (the embedded store, castore/local).
// Serving NARs from it costs a memory copy per byte instead of a hash.
type StoredBlobs interface {
	// OpenStored returns a reader of blob d's stored bytes, or an error
	// wrapping castore.ErrNotFound.
	OpenStored(ctx context.Context, d castore.Digest) (StoredBlob, error)
}

// StoredBlob reads a blob's stored bytes; it is safe for concurrent use.
type StoredBlob interface {
	io.ReaderAt
	Size() int64
}

// layoutCache remembers the layouts of the NARs served last: a NAR that
// is fetched again (by many clients, or range by range) is not laid out
// again from its directories. Layouts are immutable once computed.
type layoutCache struct {
	mu    sync.Mutex
	m     map[castore.Node]*cachedLayout
	order []castore.Node // least recently used first
	bytes int
}

type cachedLayout struct {
	l    *narLayout
	cost int
}

// The cache holds layouts of at most maxLayoutCost bytes each and
// layoutCacheBytes in all (GOROOT's, 15k files, costs 5 MB).
const (
	maxLayoutCost    = 16 << 20
	layoutCacheBytes = 64 << 20
)

func layoutCost(l *narLayout) int {
	return len(l.segs)*segmentSize + cap(l.lit)
}

// segmentSize is the size of a segment in memory.
const segmentSize = 8 + 8 + 8 + castore.DigestSize

func (c *layoutCache) get(n castore.Node) *narLayout {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[n]
	if !ok {
		return nil
	}
	c.touch(n)
	return e.l
}

// touch moves n to the most recently used end. Called with c.mu held.
func (c *layoutCache) touch(n castore.Node) {
	for i, k := range c.order {
		if k == n {
			copy(c.order[i:], c.order[i+1:])
			c.order[len(c.order)-1] = n
			return
		}
	}
}

func (c *layoutCache) add(n castore.Node, l *narLayout) {
	cost := layoutCost(l)
	if cost > maxLayoutCost {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[castore.Node]*cachedLayout{}
	}
	if _, ok := c.m[n]; ok {
		c.touch(n)
		return
	}
	for c.bytes+cost > layoutCacheBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= c.m[old].cost
		delete(c.m, old)
	}
	c.m[n] = &cachedLayout{l: l, cost: cost}
	c.order = append(c.order, n)
	c.bytes += cost
}

// ServeNAR returns a reader of n's NAR for serving it (nar-bridge): its
// layout is remembered for the next request, and when the store's blobs
// are StoredBlobs, writing the whole NAR (WriteTo) copies their stored
// bytes instead of reading them through verifying readers. Whoever
// receives a NAR checks it against its hash (Nix does); reads of byte
// ranges and NewNARReader still verify every blob.
func (s *Store) ServeNAR(ctx context.Context, n castore.Node) (*NARReader, error) {
	l := s.layouts.get(n)
	if l == nil {
		var err error
		l, err = computeLayout(ctx, s.Directories, n, false)
		if err != nil {
			return nil, fmt.Errorf("rendering NAR: %w", err)
		}
		s.layouts.add(n, l)
	}
	return &NARReader{ctx: ctx, blobs: s.Blobs, stored: s.Stored, l: l, cur: -1}, nil
}

// Writing from stored blobs: one goroutine copies framing and blob bytes
// into large buffers while the caller's goroutine writes the full ones, so
// a NAR goes out in few large writes, on two cores.
const (
	storedBufSize = 512 << 10
	storedBufs    = 3
)

var storedBufPool = sync.Pool{New: func() any { b := make([]byte, storedBufSize); return &b }}

// writeStored writes segments from index first to the end.
func (r *NARReader) writeStored(w io.Writer, first int) (int64, error) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	free := make(chan *[]byte, storedBufs)
	full := make(chan []byte, storedBufs)
	for range storedBufs {
		free <- storedBufPool.Get().(*[]byte)
	}
	var fillErr error
	go func() {
		defer close(full)
		fillErr = r.fillStored(ctx, first, free, full)
	}()
	var total int64
	var werr error
	for b := range full {
		if werr == nil {
			n, err := w.Write(b)
			total += int64(n)
			if err != nil {
				werr = err
				cancel() // the filler stops at its next buffer
			}
		}
		b = b[:cap(b)]
		free <- &b
	}
	// The filler is done: every buffer is back.
	for range storedBufs {
		storedBufPool.Put(<-free)
	}
	if werr != nil {
		return total, werr
	}
	return total, fillErr
}

// fillStored copies the NAR's bytes from segment first on into buffers
// taken from free, sending each full one (and the last) to full. Every
// buffer it takes goes to full or back to free.
func (r *NARReader) fillStored(ctx context.Context, first int, free chan *[]byte, full chan<- []byte) (err error) {
	var buf []byte // the buffer being filled, nil when none is held
	defer func() {
		if buf != nil {
			free <- &buf // free has room for every buffer
		}
	}()
	// room makes space in buf: sends it when full, takes another.
	room := func() error {
		if buf != nil && len(buf) < cap(buf) {
			return nil
		}
		if buf != nil {
			select {
			case full <- buf:
				buf = nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case bp := <-free:
			buf = (*bp)[:0]
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i := first; i < len(r.l.segs); i++ {
		s := &r.l.segs[i]
		if s.lit >= 0 {
			lit := r.l.lit[s.lit : s.lit+int64(s.size)]
			for len(lit) > 0 {
				if err := room(); err != nil {
					return err
				}
				n := copy(buf[len(buf):cap(buf)], lit)
				buf = buf[:len(buf)+n]
				lit = lit[n:]
			}
			continue
		}
		b, err := r.stored.OpenStored(ctx, s.digest)
		if err != nil {
			return fmt.Errorf("rendering NAR: %w", err)
		}
		if uint64(b.Size()) != s.size {
			return fmt.Errorf("blob %s: %w: %d bytes, its file node says %d", s.digest, ErrCorrupt, b.Size(), s.size)
		}
		for off := uint64(0); off < s.size; {
			if err := room(); err != nil {
				return err
			}
			n := int(min(uint64(cap(buf)-len(buf)), s.size-off))
			if _, err := b.ReadAt(buf[len(buf):len(buf)+n], int64(off)); err != nil {
				return fmt.Errorf("blob %s: %w", s.digest, err)
			}
			buf = buf[:len(buf)+n]
			off += uint64(n)
		}
	}
	if len(buf) > 0 {
		select {
		case full <- buf:
			buf = nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
