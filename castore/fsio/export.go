package fsio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/govix/govix/castore"
)

// Export writes the tree under root to dest, which must not exist. The tree
// is written under a temporary name next to dest and renamed into place at
// the end, so dest appears complete or not at all. Directories get mode
// 0755, files 0644 or (executable) 0755, less the umask. Every blob is verified as it is
// read, and its length checked against the node's size.
func Export(ctx context.Context, s *castore.Store, root castore.Node, dest string, opts *Options) error {
	if err := root.Validate(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("export: %s already exists", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("export: %w", err)
	}
	parent := filepath.Dir(dest)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".govix-export-")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// For a directory root, tmp is the tree itself; otherwise it holds the
	// one file or symlink until the rename.
	target := tmp
	if root.Kind != castore.KindDirectory {
		target = filepath.Join(tmp, "x")
	}
	err = exportTree(ctx, s, root, target, opts)
	if err == nil && root.Kind == castore.KindDirectory {
		err = os.Chmod(tmp, 0o755&^umask()) // MkdirTemp made it 0700
	}
	if err == nil {
		err = os.Rename(target, dest)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if root.Kind != castore.KindDirectory {
		os.Remove(tmp)
	}
	return nil
}

func exportTree(ctx context.Context, s *castore.Store, root castore.Node, target string, opts *Options) error {
	prog := opts.progress()
	switch root.Kind {
	case castore.KindFile:
		return exportFile(ctx, s, root, target, prog)
	case castore.KindSymlink:
		return os.Symlink(root.Target, target)
	}

	closure, err := castore.Closure(ctx, s.Directories, root.Digest)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if closure[0].Size() != root.Size {
		return fmt.Errorf("export: %w: directory %s has size %d, the root node says %d", castore.ErrCorrupt, root.Digest, closure[0].Size(), root.Size)
	}
	dirs := make(map[castore.Digest]*castore.Directory, len(closure))
	for _, d := range closure {
		dirs[d.Digest()] = d
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A job is a run of entries of one directory, written in order by one
	// worker: workers creating files in the same directory at once would
	// queue on its lock in the kernel, so they work in different
	// directories, and a large directory is split into runs.
	type job struct {
		entries []castore.Entry
		path    string
	}
	jobs := make(chan job, 64)
	var wg sync.WaitGroup
	for range opts.exportWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for _, e := range j.entries {
					if ctx.Err() != nil {
						break
					}
					p := j.path + string(filepath.Separator) + e.Name // names are validated: no separators
					var err error
					switch e.Kind {
					case castore.KindSymlink:
						if err = os.Symlink(e.Target, p); err != nil {
							err = fmt.Errorf("export: %w", err)
						}
					case castore.KindFile:
						err = exportFile(ctx, s, e.Node, p, prog)
					}
					if err != nil {
						cancel(err)
					}
				}
			}
		}()
	}

	// Directories are made here, depth first, before any job writes in
	// them.
	const runFiles, runBytes = 256, 32 << 20
	walkErr := func() error {
		type item struct {
			dir  *castore.Directory
			path string
		}
		send := func(es []castore.Entry, path string) bool {
			if len(es) == 0 {
				return true
			}
			select {
			case jobs <- job{es, path}:
				return true
			case <-ctx.Done():
				return false
			}
		}
		stack := []item{{closure[0], target}}
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			runStart, n, bytes := 0, 0, uint64(0)
			for i, e := range it.dir.Entries {
				if ctx.Err() != nil {
					return nil
				}
				switch e.Kind {
				case castore.KindDirectory:
					p := filepath.Join(it.path, e.Name)
					if err := os.Mkdir(p, 0o755); err != nil {
						return fmt.Errorf("export: %w", err)
					}
					prog.Directories.Add(1)
					stack = append(stack, item{dirs[e.Digest], p})
				case castore.KindFile:
					prog.FilesDiscovered.Add(1)
					prog.BytesDiscovered.Add(int64(e.Size))
					n++
					bytes += e.Size
				}
				if n >= runFiles || bytes >= runBytes {
					if !send(it.dir.Entries[runStart:i+1], it.path) {
						return nil
					}
					runStart, n, bytes = i+1, 0, 0
				}
			}
			if !send(it.dir.Entries[runStart:], it.path) {
				return nil
			}
		}
		return nil
	}()
	prog.Walked.Store(true)
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return walkErr
	}
	return context.Cause(ctx)
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func exportFile(ctx context.Context, s *castore.Store, n castore.Node, path string, prog *Progress) error {
	r, err := s.Blobs.Open(ctx, n.Digest)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	defer r.Close()
	mode := os.FileMode(0o644)
	if n.Executable {
		mode = 0o755
	}
	f, err := createExcl(path, mode)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// Blob readers write verified chunks straight to the file (WriterTo);
	// the buffer is for readers that cannot.
	bp := copyBufs.Get().(*[]byte)
	written, err := io.CopyBuffer(f, r, *bp)
	copyBufs.Put(bp)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if uint64(written) != n.Size {
		return fmt.Errorf("export %s: %w: blob %s has %d bytes, the directory says %d", path, castore.ErrCorrupt, n.Digest, written, n.Size)
	}
	prog.Files.Add(1)
	prog.Bytes.Add(written)
	return nil
}

// outFile is a file Export writes. It must not have a ReadFrom method (as
// *os.File has), which would make io.CopyBuffer ignore both the reader's
// WriteTo and the buffer.
type outFile interface {
	io.Writer
	io.Closer
}
