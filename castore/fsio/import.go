// Package fsio copies trees between the local file system and castore:
// Import turns a file, symlink or directory tree into a castore Node,
// storing its blobs and directories; Export writes a Node back out.
//
// Only what the data model has is carried: regular files (contents and the
// owner's executable bit), symlinks and directories. Sockets, devices and
// FIFOs are refused with an error naming the path. Ownership, other
// permission bits and times are not kept.
package fsio

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govix/govix/castore"
)

// Progress counts work as it happens; read it from another goroutine with
// the atomic loads. Discovered counts grow while the tree is walked (Import
// only counts discovered bytes for a single file: sizing every file up
// front would cost a stat each).
type Progress struct {
	FilesDiscovered atomic.Int64 // files found so far
	BytesDiscovered atomic.Int64 // their total size, by stat
	Files           atomic.Int64 // files stored (or written, on export)
	Bytes           atomic.Int64 // bytes of them
	Directories     atomic.Int64 // directories stored (or written)
	Walked          atomic.Bool  // the whole tree has been listed: the discovered counts are final
}

// Options tune Import and Export; nil means defaults.
type Options struct {
	// Workers is how many files are read and stored (or written) at once.
	// Import's default is 4 per CPU, at least 8: reading waits on the disk
	// as much as on hashing, and reads go well in parallel. Export's is one
	// per CPU: creating and filling files is work the kernel does on the
	// CPU, not waiting on the disk.
	Workers int
	// Progress, when set, is updated as files are done.
	Progress *Progress
	// StatCache, when set, lets Import skip reading files it stored before
	// and that have not changed since (Import only).
	StatCache StatCache
}

func (o *Options) workers() int {
	if o != nil && o.Workers > 0 {
		return o.Workers
	}
	return max(8, 4*runtime.GOMAXPROCS(0))
}

func (o *Options) exportWorkers() int {
	if o != nil && o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (o *Options) statCache() StatCache {
	if o == nil {
		return nil
	}
	return o.StatCache
}

func (o *Options) progress() *Progress {
	if o != nil && o.Progress != nil {
		return o.Progress
	}
	return &Progress{}
}

// SpecialFileError reports a file that castore cannot represent.
type SpecialFileError struct {
	Path string
	Mode fs.FileMode
}

func (e *SpecialFileError) Error() string {
	kind := "special file"
	switch {
	case e.Mode&fs.ModeSocket != 0:
		kind = "socket"
	case e.Mode&fs.ModeNamedPipe != 0:
		kind = "FIFO"
	case e.Mode&fs.ModeCharDevice != 0:
		kind = "character device"
	case e.Mode&fs.ModeDevice != 0:
		kind = "block device"
	}
	return fmt.Sprintf("%s: cannot import a %s (only regular files, directories and symlinks)", e.Path, kind)
}

// Import stores the file, symlink or directory at path and returns its
// root node. Files are read and stored in parallel; a directory is put
// once everything below it is, all directories through one putter (so the
// whole tree is one closure, committed at the end). Memory use grows with
// the number of directories, not of files or bytes.
func Import(ctx context.Context, s *castore.Store, path string, opts *Options) (castore.Node, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return castore.Node{}, fmt.Errorf("import: %w", err)
	}
	prog := opts.progress()
	switch {
	case fi.Mode().IsRegular():
		prog.FilesDiscovered.Add(1)
		prog.BytesDiscovered.Add(fi.Size())
		prog.Walked.Store(true)
		abs, err := filepath.Abs(path)
		if err != nil {
			return castore.Node{}, fmt.Errorf("import: %w", err)
		}
		return importFile(ctx, s, abs, fi, opts.statCache(), prog)
	case fi.Mode()&fs.ModeSymlink != 0:
		return importSymlink(path)
	case !fi.IsDir():
		return castore.Node{}, &SpecialFileError{Path: path, Mode: fi.Mode()}
	}

	if opts.statCache() != nil {
		if path, err = filepath.Abs(path); err != nil {
			return castore.Node{}, fmt.Errorf("import: %w", err)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	im := &importer{
		ctx:    ctx,
		fail:   cancel,
		store:  s,
		cache:  opts.statCache(),
		prog:   prog,
		putter: s.Directories.NewPutter(ctx),
		jobs:   make(chan fileJob, 4*opts.workers()),
		done:   make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range opts.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			im.work()
		}()
	}
	im.walk(path)
	prog.Walked.Store(true)
	close(im.jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return castore.Node{}, err
	}
	<-im.done
	if _, err := im.putter.Close(); err != nil {
		return castore.Node{}, fmt.Errorf("import: storing directories: %w", err)
	}
	return im.root, nil
}

// importFile stores the regular file at path (absolute when a stat cache
// is used). lfi is what lstat said about it, or nil.
func importFile(ctx context.Context, s *castore.Store, path string, lfi os.FileInfo, cache StatCache, prog *Progress) (castore.Node, error) {
	if cache != nil {
		if lfi == nil {
			var err error
			if lfi, err = os.Lstat(path); err != nil {
				return castore.Node{}, fmt.Errorf("import: %w", err)
			}
		}
		if n, ok := cached(ctx, s, cache, path, lfi); ok {
			prog.Files.Add(1)
			prog.Bytes.Add(int64(n.Size))
			return n, nil
		}
	}
	readAt := time.Now()
	f, err := openRead(path)
	if err != nil {
		return castore.Node{}, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return castore.Node{}, fmt.Errorf("import: %w", err)
	}
	if !fi.Mode().IsRegular() { // replaced since the walk looked at it
		return castore.Node{}, &SpecialFileError{Path: path, Mode: fi.Mode()}
	}
	d, n, err := s.Blobs.Put(ctx, f)
	if err != nil {
		return castore.Node{}, fmt.Errorf("import %s: %w", path, err)
	}
	if cache != nil && uint64(fi.Size()) == n {
		if after, err := f.Stat(); err == nil {
			remember(cache, path, fi, after, readAt, d)
		}
	}
	prog.Files.Add(1)
	prog.Bytes.Add(int64(n))
	return castore.FileNode(d, n, fi.Mode()&0o100 != 0), nil
}

func importSymlink(path string) (castore.Node, error) {
	target, err := os.Readlink(path)
	if err != nil {
		return castore.Node{}, fmt.Errorf("import: %w", err)
	}
	n := castore.SymlinkNode(target)
	if err := n.Validate(); err != nil {
		return castore.Node{}, fmt.Errorf("import %s: %w", path, err)
	}
	return n, nil
}

type importer struct {
	ctx   context.Context
	fail  context.CancelCauseFunc
	store *castore.Store
	cache StatCache
	prog  *Progress

	putMu  sync.Mutex
	putter castore.DirectoryPutter

	jobs chan fileJob
	root castore.Node
	done chan struct{} // closed when the root directory is put
}

// dirState is a directory being imported: its entries fill in as files
// are stored and subdirectories put, and when pending reaches zero the
// directory itself is put and reported to its parent.
type dirState struct {
	path    string
	entries []castore.Entry
	pending atomic.Int64 // unfinished children, plus one while the walk lists them
	parent  *dirState
	index   int // this directory's entry in parent
}

type fileJob struct {
	dir   *dirState
	index int
}

// walk lists directories depth-first, queueing files for the workers.
// Symlinks are read here; they are cheap.
func (im *importer) walk(root string) {
	stack := []*dirState{{path: root}}
	for len(stack) > 0 {
		if im.ctx.Err() != nil {
			return
		}
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ents, err := os.ReadDir(d.path) // sorted by name: castore's order
		if err != nil {
			im.fail(fmt.Errorf("import: %w", err))
			return
		}
		d.entries = make([]castore.Entry, len(ents))
		d.pending.Store(int64(len(ents)) + 1)
		var files []int
		for i, e := range ents {
			p := filepath.Join(d.path, e.Name())
			d.entries[i].Name = e.Name()
			switch t := e.Type(); {
			case t.IsRegular():
				files = append(files, i)
			case t.IsDir():
				stack = append(stack, &dirState{path: p, parent: d, index: i})
			case t&fs.ModeSymlink != 0:
				n, err := importSymlink(p)
				if err != nil {
					im.fail(err)
					return
				}
				d.entries[i].Node = n
				d.pending.Add(-1)
			default:
				im.fail(&SpecialFileError{Path: p, Mode: t})
				return
			}
		}
		im.prog.FilesDiscovered.Add(int64(len(files)))
		for _, i := range files {
			select {
			case im.jobs <- fileJob{dir: d, index: i}:
			case <-im.ctx.Done():
				return
			}
		}
		im.finishChild(d) // the walk's own hold
	}
}

func (im *importer) work() {
	for j := range im.jobs {
		if im.ctx.Err() != nil {
			continue // drain
		}
		p := filepath.Join(j.dir.path, j.dir.entries[j.index].Name)
		n, err := importFile(im.ctx, im.store, p, nil, im.cache, im.prog)
		if err != nil {
			im.fail(err)
			continue
		}
		j.dir.entries[j.index].Node = n
		im.finishChild(j.dir)
	}
}

// finishChild records that one child of d is done; when it was the last,
// d is put and the same is recorded for its parent, up the tree.
func (im *importer) finishChild(d *dirState) {
	for d != nil && d.pending.Add(-1) == 0 {
		dir := &castore.Directory{Entries: d.entries}
		im.putMu.Lock()
		err := im.putter.Put(dir)
		im.putMu.Unlock()
		if err != nil {
			im.fail(fmt.Errorf("import %s: %w", d.path, err))
			return
		}
		im.prog.Directories.Add(1)
		node := dir.Node()
		d.entries = nil
		if d.parent == nil {
			im.root = node
			close(im.done)
			return
		}
		d.parent.entries[d.index].Node = node
		d = d.parent
	}
}
