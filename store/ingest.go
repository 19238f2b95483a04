package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"

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

// IngestNAR reads a NAR from r into a castore: each file's contents go
// straight into blobs as they stream past, and directories are built
// bottom-up and put into dirs as one closure. Nothing is held in memory
// beyond the directories, so the NAR may be any size.
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
	defer cancel() // abandons the directory putter on error

	hr := &hashingReader{r: r, h: sha256.New(), limit: o.Size}
	br := bufio.NewReaderSize(hr, 64<<10)
	nr := nar.NewReader(br)

	in := ingester{ctx: ctx, blobs: blobs, dirs: dirs}
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
	res := &IngestResult{NarSize: hr.n}
	hr.h.Sum(res.NarSHA256[:0])
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

// hashingReader hashes and counts what is read through it, failing once
// more than limit bytes arrive (if limit is set).
type hashingReader struct {
	r     io.Reader
	h     hash.Hash
	n     uint64
	limit uint64
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	if n > 0 {
		hr.h.Write(p[:n])
		hr.n += uint64(n)
		if hr.limit != 0 && hr.n > hr.limit {
			return n, fmt.Errorf("%w: NAR is longer than the %d bytes expected", ErrCorrupt, hr.limit)
		}
	}
	return n, err
}

// ingester builds the castore tree as NAR nodes arrive in archive order.
type ingester struct {
	ctx    context.Context
	blobs  castore.BlobService
	dirs   castore.DirectoryService
	putter castore.DirectoryPutter
	// stack holds the directories being read, the root first.
	stack []dirFrame
	root  castore.Node
	done  bool
}

type dirFrame struct {
	path    string
	entries []castore.Entry
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
	var n castore.Node
	switch h.Type {
	case nar.TypeDirectory:
		if in.putter == nil {
			in.putter = in.dirs.NewPutter(in.ctx)
		}
		in.stack = append(in.stack, dirFrame{path: h.Path})
		return nil
	case nar.TypeRegular:
		d, size, err := in.blobs.Put(in.ctx, r)
		if err != nil {
			return fmt.Errorf("storing %s: %w", h.Path, err)
		}
		if size != uint64(h.Size) {
			return fmt.Errorf("storing %s: stored %d bytes of %d", h.Path, size, h.Size)
		}
		n = castore.FileNode(d, size, h.Executable)
	case nar.TypeSymlink:
		n = castore.SymlinkNode(h.LinkTarget)
	default:
		return fmt.Errorf("reading NAR: %s: unexpected node type %s", h.Path, h.Type)
	}
	in.place(h.Path, name, n)
	return nil
}

// place puts a finished node in its directory, or makes it the root.
func (in *ingester) place(p, name string, n castore.Node) {
	if p == "/" {
		in.root, in.done = n, true
		return
	}
	top := &in.stack[len(in.stack)-1]
	top.entries = append(top.entries, castore.Entry{Name: name, Node: n})
}

// pop finishes the innermost directory.
func (in *ingester) pop() error {
	f := in.stack[len(in.stack)-1]
	in.stack = in.stack[:len(in.stack)-1]
	d := &castore.Directory{Entries: f.entries}
	if err := in.putter.Put(d); err != nil {
		return fmt.Errorf("directory %s: %w", f.path, err)
	}
	in.place(f.path, path.Base(f.path), d.Node())
	return nil
}

// finish closes the open directories and stores the closure.
func (in *ingester) finish() (castore.Node, error) {
	for len(in.stack) > 0 {
		if err := in.pop(); err != nil {
			return castore.Node{}, err
		}
	}
	if !in.done {
		return castore.Node{}, fmt.Errorf("reading NAR: %w: no root node", ErrCorrupt)
	}
	if in.putter != nil {
		if _, err := in.putter.Close(); err != nil {
			return castore.Node{}, fmt.Errorf("storing directories: %w", err)
		}
	}
	return in.root, nil
}
