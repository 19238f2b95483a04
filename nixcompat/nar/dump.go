package nar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"
)

// Dumper writes the archive of a file system tree, like nix-store --dump.
// The zero value is ready to use.
//
// The archive is one ordered stream, so it is produced by one goroutine,
// but everything it needs is fetched ahead: a walker lists directories in
// archive order and a pool of readers reads the files that come next, up
// to a memory budget, so that reading overlaps hashing or writing and the
// memory used stays flat however large the tree.
type Dumper struct {
	// Filter, if set, decides which entries below the root are in the
	// archive: it gets the entry's file system path and type bits
	// (fs.ModeDir, fs.ModeSymlink, 0 for a regular file, ...); an entry
	// it rejects is left out with everything below it. It is called from
	// one goroutine, in archive order.
	Filter func(path string, mode fs.FileMode) (bool, error)
	// Readers is how many files are read concurrently; 0 means 4.
	Readers int
	// Memory bounds the bytes of file contents read ahead; 0 means
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

// tree is what dumping needs of a file system.
type tree interface {
	lstat(name string) (fs.FileInfo, error)
	readDir(name string) ([]dirEntry, error) // sorted by name
	readLink(name string) (string, error)
	// open opens a regular file and returns its size and whether its
	// owner may execute it (Nix's criterion for the executable bit).
	open(name string) (f io.ReadCloser, size int64, exec bool, err error)
	join(dir, name string) string
}

// dirEntry is an entry of a directory: its name and type bits.
type dirEntry struct {
	name string
	mode fs.FileMode
}

func fromDirEntries(entries []fs.DirEntry) []dirEntry {
	des := make([]dirEntry, len(entries))
	for i, e := range entries {
		des[i] = dirEntry{name: e.Name(), mode: e.Type()}
	}
	return des
}

type fsTree struct{ fsys fs.FS }

func (t fsTree) lstat(name string) (fs.FileInfo, error) { return fs.Lstat(t.fsys, name) }
func (t fsTree) readDir(name string) ([]dirEntry, error) {
	entries, err := fs.ReadDir(t.fsys, name)
	return fromDirEntries(entries), err
}
func (t fsTree) readLink(name string) (string, error) { return fs.ReadLink(t.fsys, name) }
func (fsTree) join(dir, name string) string           { return path.Join(dir, name) }

func (t fsTree) open(name string) (io.ReadCloser, int64, bool, error) {
	f, err := t.fsys.Open(name)
	if err != nil {
		return nil, 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, false, errNotRegular(name)
	}
	return f, fi.Size(), fi.Mode()&0o100 != 0, nil
}

func errNotRegular(name string) error {
	return fmt.Errorf("%s changed while being archived: no longer a regular file", name)
}

const (
	// chunkSize is the most a reader reads of a file at once. All chunk
	// buffers have this size, so that they can all be recycled: a
	// small file wastes the rest of its buffer while it waits, but the
	// budget bounds how many wait.
	chunkSize = 64 << 10
	// jobChunks is how many chunks of a file a reader may read ahead of
	// the writer.
	jobChunks = 16
	// walkAhead is how many nodes the walker may list ahead of the writer.
	walkAhead = 1024
)

// item is one node, sent by the walker to the writer in archive order.
type item struct {
	hdr Header
	job *fileJob // regular files
	err error
}

// fileJob is a regular file to read. Whoever changes taken from false to
// true reads it: a reader from the pool, or the writer itself when it gets
// to a file no reader has started.
type fileJob struct {
	fsPath string
	taken  atomic.Bool
	out    chan chunk
}

// chunk is what a reader sends the writer: contents, and in the first
// chunk of a file its metadata and where the rest will come; or an error.
type chunk struct {
	size int64
	exec bool
	data []byte
	rest chan chunk
	err  error
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
		ctx:    ctx,
		tree:   t,
		filter: d.Filter,
		items:  make(chan item, walkAhead),
		jobs:   make(chan *fileJob, walkAhead),
		budget: newBudget(memory),
	}
	// Room for the budget, and for the file the writer waits for, which
	// may exceed it.
	s.bufs.max = memory + (jobChunks+1)*chunkSize
	defer func() {
		cancel()
		s.budget.close()
		wg.Wait()
	}()
	wg.Add(1 + readers)
	go func() {
		defer wg.Done()
		defer close(s.jobs)
		defer close(s.items)
		s.walkRoot(root)
	}()
	for range readers {
		go func() {
			defer wg.Done()
			s.readLoop()
		}()
	}
	return s.write(NewWriter(w))
}

type dumpState struct {
	ctx    context.Context
	tree   tree
	filter func(string, fs.FileMode) (bool, error)
	items  chan item
	jobs   chan *fileJob
	budget *budget
	bufs   bufPool
}

// send passes an item to the writer; false means the dump was abandoned.
func (s *dumpState) send(it item) bool {
	select {
	case s.items <- it:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *dumpState) walkRoot(root string) {
	fi, err := s.tree.lstat(root)
	if err != nil {
		s.send(item{err: err})
		return
	}
	s.walk(root, "/", fi.Mode().Type())
}

// walk sends the node at fsPath and everything below it, in archive order.
func (s *dumpState) walk(fsPath, narPath string, mode fs.FileMode) bool {
	switch {
	case mode.IsRegular():
		job := &fileJob{fsPath: fsPath, out: make(chan chunk, 1)}
		if !s.send(item{hdr: Header{Path: narPath, Type: TypeRegular}, job: job}) {
			return false
		}
		// When the readers are far behind, leave the file to the writer.
		select {
		case s.jobs <- job:
		default:
		}
		return true
	case mode&fs.ModeSymlink != 0:
		target, err := s.tree.readLink(fsPath)
		if err != nil {
			s.send(item{err: err})
			return false
		}
		return s.send(item{hdr: Header{Path: narPath, Type: TypeSymlink, LinkTarget: target}})
	case mode.IsDir():
		if !s.send(item{hdr: Header{Path: narPath, Type: TypeDirectory}}) {
			return false
		}
		entries, err := s.tree.readDir(fsPath)
		if err != nil {
			s.send(item{err: err})
			return false
		}
		for _, e := range entries {
			name := e.name
			child := s.tree.join(fsPath, name)
			if s.filter != nil {
				ok, err := s.filter(child, e.mode)
				if err != nil {
					s.send(item{err: err})
					return false
				}
				if !ok {
					continue
				}
			}
			if !s.walk(child, join(narPath, name), e.mode) {
				return false
			}
		}
		return true
	default:
		s.send(item{err: &Error{Offset: -1, Path: narPath, Err: fmt.Errorf("%w: %s is a %v", ErrUnsupported, fsPath, mode)}})
		return false
	}
}

// readLoop is a reader of the pool: it reads files ahead of the writer.
func (s *dumpState) readLoop() {
	for job := range s.jobs {
		if !job.taken.CompareAndSwap(false, true) {
			continue // the writer got there first
		}
		if !s.readJob(job) {
			return
		}
	}
}

// readJob reads a file for the writer: a first message with the file's
// metadata and first chunk (and, for a larger file, a channel for the rest
// of its chunks), or an error. It returns false if the dump was abandoned.
func (s *dumpState) readJob(job *fileJob) bool {
	f, size, exec, err := s.tree.open(job.fsPath)
	if err != nil {
		return s.sendChunk(job.out, chunk{err: err})
	}
	defer f.Close()
	first := chunk{size: size, exec: exec}
	if size > chunkSize {
		// Per-file channels are sized for what the file needs: most
		// files fit in one chunk.
		first.rest = make(chan chunk, jobChunks)
	}
	left := size
	if left > 0 {
		n := min(left, chunkSize)
		buf, ok, err := s.readChunk(job, f, n)
		if !ok {
			return false
		}
		if err != nil {
			return s.sendChunk(job.out, chunk{err: err})
		}
		first.data = buf
		left -= n
	}
	if !s.sendChunk(job.out, first) {
		return false
	}
	for left > 0 {
		n := min(left, chunkSize)
		buf, ok, err := s.readChunk(job, f, n)
		if !ok {
			return false
		}
		if err != nil {
			return s.sendChunk(first.rest, chunk{err: err})
		}
		if !s.sendChunk(first.rest, chunk{data: buf}) {
			return false
		}
		left -= n
	}
	return true
}

// readChunk reads the next n bytes of a file within the budget. ok is
// false if the dump was abandoned.
func (s *dumpState) readChunk(job *fileJob, f io.Reader, n int64) (buf []byte, ok bool, err error) {
	// The budget counts buffers, whatever part of them is used (see
	// bufPool for their sizes).
	if !s.budget.acquire(job, int64(bufCap(int(n)))) {
		return nil, false, nil
	}
	buf = s.bufs.get(int(n))
	if _, err := io.ReadFull(f, buf); err != nil {
		s.budget.release(int64(cap(buf)))
		s.bufs.put(buf)
		return nil, true, readErr(job.fsPath, err)
	}
	return buf, true, nil
}

// sendChunk passes a chunk to the writer; false means the dump was
// abandoned.
func (s *dumpState) sendChunk(ch chan chunk, c chunk) bool {
	select {
	case ch <- c:
		return true
	case <-s.ctx.Done():
		s.bufs.put(c.data)
		return false
	}
}

func readErr(name string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s changed while being archived: shorter than its size", name)
	}
	return err
}

// write is the writer: it takes the items in order and encodes them.
func (s *dumpState) write(nw *Writer) error {
	for it := range s.items {
		if it.err != nil {
			return it.err
		}
		if it.job == nil {
			if err := nw.WriteHeader(&it.hdr); err != nil {
				return err
			}
			continue
		}
		if err := s.writeFile(nw, it); err != nil {
			return err
		}
	}
	if err := s.ctx.Err(); err != nil {
		return err
	}
	return nw.Close()
}

func (s *dumpState) writeFile(nw *Writer, it item) error {
	job := it.job
	if job.taken.CompareAndSwap(false, true) {
		// No reader started this file: read it here.
		f, size, exec, err := s.tree.open(job.fsPath)
		if err != nil {
			return err
		}
		defer f.Close()
		it.hdr.Size, it.hdr.Executable = size, exec
		if err := nw.WriteHeader(&it.hdr); err != nil {
			return err
		}
		n, err := io.Copy(nw, io.LimitReader(f, size))
		if err == nil && n < size {
			err = readErr(job.fsPath, io.ErrUnexpectedEOF)
		}
		return err
	}
	s.budget.setCurrent(job)
	c, err := s.receive(job.out)
	if err != nil {
		return err
	}
	it.hdr.Size, it.hdr.Executable = c.size, c.exec
	if err := nw.WriteHeader(&it.hdr); err != nil {
		return err
	}
	rest := c.rest
	for left := it.hdr.Size; ; {
		if len(c.data) > 0 {
			_, err := nw.Write(c.data)
			n := int64(len(c.data))
			s.budget.release(int64(cap(c.data)))
			s.bufs.put(c.data)
			if err != nil {
				return err
			}
			left -= n
		}
		if left == 0 {
			return nil
		}
		if c, err = s.receive(rest); err != nil {
			return err
		}
	}
}

// receive takes the next chunk of the file being written.
func (s *dumpState) receive(ch chan chunk) (chunk, error) {
	select {
	case c := <-ch:
		return c, c.err
	case <-s.ctx.Done():
		return chunk{}, s.ctx.Err()
	}
}
