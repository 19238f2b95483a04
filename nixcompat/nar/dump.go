package nar

import (
	"context"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
)

// Dumper writes the archive of a file system tree, like nix-store --dump.
// The zero value is ready to use.
//
// The archive is one ordered stream, written by one goroutine, but all
// the file system work happens ahead of it: a walker lists directories in
// archive order and encodes the archive's structure, cutting it into
// segments of up to a hundred files, and a pool of readers turns each segment
// into large buffers of finished archive bytes, reading the files' contents
// straight into them. The writer only passes those buffers on, so a hash
// gets a few large writes instead of several small ones per file, and the
// memory used stays flat (bounded by Memory) however large the tree. On
// Linux, when the writer is a hash or a file, large files are mapped into
// memory instead of read, so that the writer reads them straight from the
// page cache and nobody copies them.
type Dumper struct {
	// Filter, if set, decides which entries below the root are in the
	// archive: it gets the entry's file system path and type bits
	// (fs.ModeDir, fs.ModeSymlink, 0 for a regular file, ...); an entry
	// it rejects is left out with everything below it. It is called from
	// one goroutine, in archive order.
	Filter func(path string, mode fs.FileMode) (bool, error)
	// Readers is how many segments are read concurrently; 0 means 4.
	Readers int
	// Memory bounds the bytes of archive read (or mapped) ahead; 0 means
	// 8 MiB, plenty to keep a hash fed (more only costs page faults).
	Memory int64
}

// DumpPath writes the archive of the tree at path (not following a
// symbolic link at path itself) to w.
func DumpPath(ctx context.Context, w io.Writer, path string) error {
	var d Dumper
	return d.DumpPath(ctx, w, path)
}

// DumpFS writes the archive of the tree at name in fsys to w. To include
// symbolic links fsys must implement fs.ReadLinkFS (os.DirFS does).
func DumpFS(ctx context.Context, w io.Writer, fsys fs.FS, name string) error {
	var d Dumper
	return d.DumpFS(ctx, w, fsys, name)
}

// DumpPath writes the archive of the tree at path to w.
func (d *Dumper) DumpPath(ctx context.Context, w io.Writer, path string) error {
	return d.dump(ctx, w, &osTree{}, path)
}

// DumpFS writes the archive of the tree at name in fsys to w.
func (d *Dumper) DumpFS(ctx context.Context, w io.Writer, fsys fs.FS, name string) error {
	return d.dump(ctx, w, fsTree{fsys}, name)
}

const (
	// segmentFiles and segmentText bound a segment: how many files a
	// reader reads in a row, and the bytes of structure it copies.
	segmentFiles = 96
	segmentText  = 16 << 10
	// segmentsAhead is how many segments the walker may be ahead of the
	// writer.
	segmentsAhead = 256
)

// segment is a run of consecutive bytes of the archive: its structure,
// encoded by the walker, and the regular files whose nodes go into it,
// which a reader (or the writer) opens and reads.
type segment struct {
	text  []byte
	files []segmentFile
	err   error // instead of the above: the walker failed here
	// offered says that the segment went to the readers; the writer
	// fills the others itself. (Readers take segments in order, so while
	// the writer waits for an offered segment no reader holds a later
	// one: some reader is free to take it.)
	offered bool
	// out carries the segment's archive bytes in order, filled buffers
	// of bufSize bytes (the last one possibly shorter), or an error; it
	// is closed after the last.
	out chan filled
}

// segmentFile is a regular file of a segment: its node goes at text[at:].
type segmentFile struct {
	at        int
	dir, name string
}

// filled is a piece of a segment's archive bytes, from a reader to the
// writer.
type filled struct {
	buf    []byte
	mapped string // if not "": buf maps part of this file
	err    error
}

// cost is what c counts against the memory budget.
func (c filled) cost() int64 {
	if c.mapped != "" {
		return int64(len(c.buf))
	}
	return bufSize
}

func (d *Dumper) dump(ctx context.Context, w io.Writer, t tree, root string) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	readers := d.Readers
	if readers <= 0 {
		readers = 4
	}
	memory := d.Memory
	if memory <= 0 {
		memory = 8 << 20
	}
	s := &dumpState{
		ctx:      ctx,
		tree:     t,
		filter:   d.Filter,
		segments: make(chan *segment, segmentsAhead),
		jobs:     make(chan *segment, segmentsAhead),
		spent:    make(chan *segment, 16),
		budget:   newBudget(memory),
		mapFiles: mapsSafely(w),
	}
	// Room for the budget, and for the segment the writer waits for,
	// which may exceed it.
	s.bufs.max = int(memory/bufSize) + segmentBufs + 1
	defer func() {
		cancel()
		s.budget.close()
		wg.Wait()
	}()
	wg.Add(1 + readers)
	go func() {
		defer wg.Done()
		defer close(s.jobs)
		defer close(s.segments)
		s.walkRoot(root)
	}()
	for range readers {
		go func() {
			defer wg.Done()
			s.readLoop()
		}()
	}
	return s.write(w)
}

type dumpState struct {
	ctx      context.Context
	tree     tree
	filter   func(string, fs.FileMode) (bool, error)
	segments chan *segment // to the writer, in archive order
	jobs     chan *segment // to the readers
	spent    chan *segment // back to the walker, for their memory
	budget   *budget
	bufs     bufPool
	// mapFiles says whether files may be mapped into memory: only for
	// writers that are done with the bytes when Write returns, and that
	// read them in the calling goroutine or in a system call (see
	// writeMapped).
	mapFiles bool
	// writerWaits is set while the writer waits for a reader.
	writerWaits atomic.Bool
}

// readLoop is a reader of the pool: it fills segments ahead of the
// writer.
func (s *dumpState) readLoop() {
	f := &filler{s: s, files: s.tree.files()}
	defer f.files.release()
	for seg := range s.jobs {
		f.seg = seg
		err := f.fill()
		if err != nil && s.ctx.Err() == nil {
			select {
			case seg.out <- filled{err: err}:
			case <-s.ctx.Done():
			}
		}
		close(seg.out)
	}
}

// write is the writer: it passes the segments' bytes on to w in order.
func (s *dumpState) write(w io.Writer) error {
	// The writer fills the segments the readers did not get itself, into
	// one buffer that it writes whenever full.
	own := &filler{s: s, direct: w}
	defer func() {
		if own.files != nil {
			own.files.release()
		}
	}()
	for seg := range s.segments {
		if seg.err != nil {
			return seg.err
		}
		if !seg.offered {
			if own.files == nil {
				own.files = s.tree.files()
			}
			own.seg = seg
			if err := own.fill(); err != nil {
				return err
			}
		} else {
			s.budget.setCurrent(seg)
			if err := s.writeSegment(w, seg); err != nil {
				return err
			}
		}
		// Its filler is done with it: the walker may reuse it.
		select {
		case s.spent <- seg:
		default:
		}
	}
	return s.ctx.Err()
}

// writeSegment writes the buffers a reader fills for seg.
func (s *dumpState) writeSegment(w io.Writer, seg *segment) error {
	for {
		c, ok, err := s.receive(seg)
		if err != nil || !ok {
			return err
		}
		if c.err != nil {
			return c.err
		}
		if err := s.writeChunk(w, c, true); err != nil {
			return err
		}
	}
}

// receive takes the next buffer of seg; ok is false after the last. When
// none is ready, it lets the readers know that the writer waits (see
// filler.put).
func (s *dumpState) receive(seg *segment) (c filled, ok bool, err error) {
	select {
	case c, ok = <-seg.out:
		return c, ok, nil
	default:
	}
	s.writerWaits.Store(true)
	defer s.writerWaits.Store(false)
	select {
	case c, ok = <-seg.out:
		return c, ok, nil
	case <-s.ctx.Done():
		return c, false, s.ctx.Err()
	}
}

// writeChunk writes c to w and recycles or unmaps its buffer; fromBudget
// says whether the buffer counts against the budget.
func (s *dumpState) writeChunk(w io.Writer, c filled, fromBudget bool) error {
	var err error
	if c.mapped != "" {
		err = writeMapped(w, c.buf, c.mapped)
		unmap(c.buf)
	} else {
		_, err = w.Write(c.buf)
		if fromBudget {
			s.bufs.put(c.buf)
		}
	}
	if fromBudget {
		s.budget.release(c.cost())
	}
	return err
}
