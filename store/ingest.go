package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nar"
)

// IngestOptions say what a NAR being ingested must be. The zero value
// accepts any valid NAR.
type IngestOptions struct {
	// Size, if non-zero, is the NAR's size: reading stops with an error as
	// soon as more arrives, and a shorter NAR is refused.
	Size uint64
	// SHA256, if set, is the NAR's sha256.
	SHA256 *[sha256.Size]byte
}

// IngestResult is what IngestNAR read.
type IngestResult struct {
	// Node is the root of the tree, now in the castore.
	Node castore.Node
	// NarSize and NarSHA256 describe the NAR as read.
	NarSize   uint64
	NarSHA256 [sha256.Size]byte
}

// Ingestion runs as a pipeline: one goroutine reads the NAR and hashes it,
// another parses it, and a pool of workers stores small files (buffered
// in memory, within a budget) while the parser goes on; a large file is
// streamed straight into the BlobService by the parser. Directories are
// finished bottom-up as soon as their files are stored.
const (
	// smallFile is the largest file read into memory and stored by a
	// worker; larger ones stream.
	smallFile = 1 << 20
	// ingestMemory bounds the bytes of small files read but not stored.
	ingestMemory = 64 << 20
)

// IngestNAR reads a NAR from r into a castore: each file's contents go
// into blobs as they stream past (small files several at a time), and
// directories are built bottom-up and put into dirs as one closure.
// Memory holds at most a bounded amount of file contents plus the
// directories, so the NAR may be any size.
//
// The NAR's sha256 and size are computed as it is read, and checked
// against opts. The directories are only stored once the NAR has been
// read completely and checked, so a NAR that turns out to be truncated,
// malformed or not the one expected leaves no directory behind (its
// blobs may be stored, unreachable from anything).
func IngestNAR(ctx context.Context, blobs castore.BlobService, dirs castore.DirectoryService, r io.Reader, opts *IngestOptions) (*IngestResult, error) {
	var o IngestOptions
	if opts != nil {
		o = *opts
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // abandons the directory putter and the workers on error

	hp := newHashPipe(ctx, r, o.Size)
	defer hp.stop()
	br := bufio.NewReaderSize(hp, 64<<10)
	nr := nar.NewReader(br)

	in := &ingester{ctx: ctx, blobs: blobs, dirs: dirs, mem: semaphore.NewWeighted(ingestMemory), cancel: cancel}
	in.start(runtime.GOMAXPROCS(0))
	res, err := in.run(nr, br, hp, &o)
	cancel()
	in.wait()
	if errors.Is(err, context.Canceled) && in.finishErr != nil && !errors.Is(in.finishErr, context.Canceled) {
		// The finisher's failure stopped the parser: it is the cause.
		err = in.finishErr
	}
	return res, err
}

func (in *ingester) run(nr *nar.Reader, br *bufio.Reader, hp *hashPipe, o *IngestOptions) (*IngestResult, error) {
	for {
		h, err := nr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading NAR: %w", err)
		}
		if err := in.add(h, nr); err != nil {
			return nil, err
		}
	}
	// The archive is complete; nothing may follow it.
	if _, err := br.Peek(1); err == nil {
		return nil, fmt.Errorf("reading NAR: %w: data after the end of the archive", ErrCorrupt)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading NAR: %w", err)
	}
	res := &IngestResult{}
	res.NarSize, res.NarSHA256 = hp.sum()
	if o.Size != 0 && res.NarSize != o.Size {
		return nil, fmt.Errorf("%w: NAR is %d bytes, expected %d", ErrCorrupt, res.NarSize, o.Size)
	}
	if o.SHA256 != nil && res.NarSHA256 != *o.SHA256 {
		return nil, fmt.Errorf("%w: NAR hash mismatch: got sha256:%x, expected sha256:%x", ErrCorrupt, res.NarSHA256, *o.SHA256)
	}
	node, err := in.finish()
	if err != nil {
		return nil, err
	}
	res.Node = node
	return res, nil
}

// hashPipe reads its source in a goroutine of its own, hashing and
// counting the bytes, so that hashing overlaps parsing. It fails once
// more than limit bytes arrive (if limit is set).
type hashPipe struct {
	ch   chan []byte
	free chan []byte
	cur  []byte
	buf  []byte // the buffer cur is in, returned to free when used up
	err  error  // the source's error, after ch is closed
	done chan struct{}
	quit chan struct{}
	once sync.Once

	n   uint64
	sha [sha256.Size]byte
}

const hashPipeBuf = 256 << 10

func newHashPipe(ctx context.Context, r io.Reader, limit uint64) *hashPipe {
	p := &hashPipe{ch: make(chan []byte, 4), free: make(chan []byte, 6), done: make(chan struct{}), quit: make(chan struct{})}
	for range 6 {
		p.free <- make([]byte, hashPipeBuf)
	}
	go func() {
		defer close(p.done)
		defer close(p.ch)
		h := sha256.New()
		defer func() { h.Sum(p.sha[:0]) }()
		for {
			var b []byte
			select {
			case b = <-p.free:
			case <-p.quit:
				return
			case <-ctx.Done():
				p.err = ctx.Err()
				return
			}
			n, err := io.ReadAtLeast(r, b, len(b)/2)
			if n > 0 {
				h.Write(b[:n])
				p.n += uint64(n)
				if limit != 0 && p.n > limit {
					p.err = fmt.Errorf("%w: NAR is longer than the %d bytes expected", ErrCorrupt, limit)
					return
				}
				select {
				case p.ch <- b[:n]:
				case <-p.quit:
					return
				}
			}
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			if err != nil {
				p.err = err
				return
			}
		}
	}()
	return p
}

func (p *hashPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.buf != nil {
			p.free <- p.buf[:cap(p.buf)]
			p.buf = nil
		}
		next, ok := <-p.ch
		if !ok {
			// The channel is closed after p.err is set.
			return 0, p.err
		}
		p.cur, p.buf = next, next
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// sum returns the count and hash of everything read; valid after Read
// returned io.EOF.
func (p *hashPipe) sum() (uint64, [sha256.Size]byte) {
	<-p.done
	return p.n, p.sha
}

// stop ends the reading goroutine and waits for it.
func (p *hashPipe) stop() {
	p.once.Do(func() { close(p.quit) })
	<-p.done
}

// fileJob is a file being stored by a worker.
type fileJob struct {
	data []byte
	done chan struct{}
	dg   castore.Digest
	size uint64
	err  error
}

// pendingEntry is a directory entry whose node may still be stored.
type pendingEntry struct {
	name string
	node castore.Node
	job  *fileJob // set while a worker stores the file
	dir  *dirJob  // set for a directory: its node is known once finished
}

// dirJob is a directory read to its end, finished (its files waited for,
// the Directory built and put) by the finisher goroutine.
type dirJob struct {
	path    string
	entries []pendingEntry
	node    castore.Node // set by the finisher
}

// ingester builds the castore tree as NAR nodes arrive in archive order.
type ingester struct {
	ctx    context.Context
	blobs  castore.BlobService
	dirs   castore.DirectoryService
	putter castore.DirectoryPutter
	mem    *semaphore.Weighted
	jobs   chan *fileJob
	wg     sync.WaitGroup

	// stack holds the directories being read, the root first.
	stack []dirFrame
	root  pendingEntry
	done  bool

	// Directories read to their end go to the finisher, in the order
	// they end (children before parents), so that the parser goes on
	// while their files are still being stored.
	finished  chan *dirJob
	finisher  sync.WaitGroup
	finishErr error // the finisher's, readable after finisher.Wait
	cancel    context.CancelFunc
}

type dirFrame struct {
	path    string
	entries []pendingEntry
}

func (in *ingester) start(workers int) {
	in.finished = make(chan *dirJob, 1024)
	finished := in.finished
	in.finisher.Go(func() { in.finish1(finished) })
	in.jobs = make(chan *fileJob, 256)
	for range max(workers, 1) {
		in.wg.Go(func() {
			for j := range in.jobs {
				if err := in.ctx.Err(); err != nil {
					j.err = err
				} else {
					j.dg, j.size, j.err = in.blobs.Put(in.ctx, bytesReader(j.data))
				}
				in.mem.Release(int64(len(j.data)))
				j.data = nil
				close(j.done)
			}
		})
	}
}

// wait stops the workers and the finisher; every job sent has finished
// when it returns.
func (in *ingester) wait() {
	in.closeFinished()
	in.finisher.Wait()
	close(in.jobs)
	in.wg.Wait()
}

func (in *ingester) closeFinished() {
	if in.finished != nil {
		close(in.finished)
		in.finished = nil
	}
}

// finish1 is the finisher: it completes directories in the order they
// ended, putting each into the closure.
func (in *ingester) finish1(finished <-chan *dirJob) {
	for dj := range finished {
		if in.finishErr != nil {
			continue // drain
		}
		if err := in.complete(dj); err != nil {
			in.finishErr = err
			in.cancel() // stops the parser
		}
	}
}

// complete waits for dj's files, builds its Directory and puts it.
func (in *ingester) complete(dj *dirJob) error {
	d := &castore.Directory{Entries: make([]castore.Entry, len(dj.entries))}
	for i := range dj.entries {
		e := &dj.entries[i]
		if err := in.resolve(dj.path+"/"+e.name, e); err != nil {
			return err
		}
		d.Entries[i] = castore.Entry{Name: e.name, Node: e.node}
	}
	if in.putter == nil {
		in.putter = in.dirs.NewPutter(in.ctx)
	}
	if err := in.putter.Put(d); err != nil {
		return fmt.Errorf("directory %s: %w", dj.path, err)
	}
	dj.node = d.Node()
	return nil
}

func (in *ingester) add(h *nar.Header, r io.Reader) error {
	parent, name := path.Dir(h.Path), path.Base(h.Path)
	if h.Path != "/" {
		for len(in.stack) > 0 && in.stack[len(in.stack)-1].path != parent {
			if err := in.pop(); err != nil {
				return err
			}
		}
		if len(in.stack) == 0 {
			// nar.Reader only yields nodes in archive order, so this
			// cannot happen with a valid reader.
			return fmt.Errorf("reading NAR: node %s outside its directory", h.Path)
		}
	}
	e := pendingEntry{name: name}
	switch h.Type {
	case nar.TypeDirectory:
		in.stack = append(in.stack, dirFrame{path: h.Path})
		return nil
	case nar.TypeRegular:
		e.node = castore.FileNode(castore.Digest{}, uint64(h.Size), h.Executable)
		if h.Size <= smallFile {
			if err := in.mem.Acquire(in.ctx, h.Size); err != nil {
				return err
			}
			data := make([]byte, h.Size)
			if _, err := io.ReadFull(r, data); err != nil {
				in.mem.Release(h.Size)
				return fmt.Errorf("reading NAR: %s: %w", h.Path, err)
			}
			e.job = &fileJob{data: data, done: make(chan struct{})}
			select {
			case in.jobs <- e.job:
			case <-in.ctx.Done():
				in.mem.Release(h.Size)
				return in.ctx.Err()
			}
		} else {
			d, size, err := in.blobs.Put(in.ctx, r)
			if err != nil {
				return fmt.Errorf("storing %s: %w", h.Path, err)
			}
			if size != uint64(h.Size) {
				return fmt.Errorf("storing %s: stored %d bytes of %d", h.Path, size, h.Size)
			}
			e.node.Digest = d
		}
	case nar.TypeSymlink:
		e.node = castore.SymlinkNode(h.LinkTarget)
	default:
		return fmt.Errorf("reading NAR: %s: unexpected node type %s", h.Path, h.Type)
	}
	in.place(h.Path, e)
	return nil
}

// resolve waits for a pending file to be stored; a directory entry takes
// the node its finished directory got (directories are finished in order,
// so before their parent).
func (in *ingester) resolve(p string, e *pendingEntry) error {
	if e.dir != nil {
		e.node, e.dir = e.dir.node, nil
		return nil
	}
	if e.job == nil {
		return nil
	}
	select {
	case <-e.job.done:
	case <-in.ctx.Done():
		return in.ctx.Err()
	}
	if e.job.err != nil {
		return fmt.Errorf("storing %s: %w", p, e.job.err)
	}
	if e.job.size != e.node.Size {
		return fmt.Errorf("storing %s: stored %d bytes of %d", p, e.job.size, e.node.Size)
	}
	e.node.Digest = e.job.dg
	e.job = nil
	return nil
}

// place puts a node in its directory, or makes it the root.
func (in *ingester) place(p string, e pendingEntry) {
	if p == "/" {
		in.root, in.done = e, true
		return
	}
	top := &in.stack[len(in.stack)-1]
	top.entries = append(top.entries, e)
}

// pop ends the innermost directory, handing it to the finisher.
func (in *ingester) pop() error {
	f := in.stack[len(in.stack)-1]
	in.stack = in.stack[:len(in.stack)-1]
	dj := &dirJob{path: f.path, entries: f.entries}
	select {
	case in.finished <- dj:
	case <-in.ctx.Done():
		return in.ctx.Err()
	}
	in.place(f.path, pendingEntry{name: path.Base(f.path), dir: dj})
	return nil
}

// finish closes the open directories and stores the closure.
func (in *ingester) finish() (castore.Node, error) {
	for len(in.stack) > 0 {
		if err := in.pop(); err != nil {
			return castore.Node{}, err
		}
	}
	in.closeFinished()
	in.finisher.Wait()
	if in.finishErr != nil {
		return castore.Node{}, in.finishErr
	}
	if !in.done {
		return castore.Node{}, fmt.Errorf("reading NAR: %w: no root node", ErrCorrupt)
	}
	if err := in.resolve("/", &in.root); err != nil {
		return castore.Node{}, err
	}
	if in.putter != nil {
		if _, err := in.putter.Close(); err != nil {
			return castore.Node{}, fmt.Errorf("storing directories: %w", err)
		}
	}
	return in.root.node, nil
}

// bytesReader reads a byte slice; a small type so that Put can see its
// length if it wants to.
type bytesReaderT struct {
	b []byte
}

func bytesReader(b []byte) io.Reader { return &bytesReaderT{b} }

func (r *bytesReaderT) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
