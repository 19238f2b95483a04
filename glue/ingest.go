package glue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io/fs"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/eval"
)

// treeIngester stores a tree read through the store view in a castore
// (blobs, then directories leaves first) and hashes its NAR in the same
// walk, so that what is stored is what was hashed. Sources are small and
// many: this costs a walk, not a NAR pipeline per path.
type treeIngester struct {
	ctx    context.Context
	fsys   eval.IO
	blobs  castore.BlobService
	putter castore.DirectoryPutter
	dirs   castore.DirectoryService
	nar    *narEncoder
	sum    hash.Hash
	keep   keepFunc
}

// ingestTree stores the tree at root (entries keep rejects left out) and
// returns its root node and its NAR's size and sha256.
func ingestTree(ctx context.Context, fsys eval.IO, blobs castore.BlobService, dirs castore.DirectoryService, root string, keep keepFunc) (castore.Node, uint64, [32]byte, error) {
	var sum [32]byte
	fi, err := fsys.Lstat(ctx, root)
	if err != nil {
		return castore.Node{}, 0, sum, err
	}
	h := sha256.New()
	cw := &countWriter{w: h}
	t := &treeIngester{ctx: ctx, fsys: fsys, blobs: blobs, dirs: dirs, nar: &narEncoder{w: cw}, sum: h, keep: keep}
	t.nar.token(narMagic)
	n, err := t.node(root, fi)
	if err == nil {
		err = t.nar.err
	}
	if err == nil && t.putter != nil {
		_, err = t.putter.Close()
	}
	if err != nil {
		return castore.Node{}, 0, sum, err
	}
	copy(sum[:], h.Sum(nil))
	return n, cw.n, sum, nil
}

type countWriter struct {
	w hash.Hash
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += uint64(len(p))
	return c.w.Write(p)
}

func (t *treeIngester) node(abs string, fi fs.FileInfo) (castore.Node, error) {
	e := t.nar
	m := fi.Mode()
	e.token("(")
	e.token("type")
	var n castore.Node
	switch {
	case m&fs.ModeSymlink != 0:
		target, err := t.fsys.Readlink(t.ctx, abs)
		if err != nil {
			return n, err
		}
		e.token("symlink")
		e.token("target")
		e.token(target)
		n = castore.SymlinkNode(target)
	case m.IsDir():
		e.token("directory")
		ents, err := t.fsys.ReadDir(t.ctx, abs)
		if err != nil {
			return n, err
		}
		var entries []castore.Entry
		for _, de := range ents {
			name := de.Name()
			cabs := abs + "/" + name
			if abs == "/" {
				cabs = "/" + name
			}
			cfi, err := t.fsys.Lstat(t.ctx, cabs)
			if err != nil {
				return n, err
			}
			if t.keep != nil && !t.keep(cabs, fileType(cfi.Mode())) {
				continue
			}
			e.token("entry")
			e.token("(")
			e.token("name")
			e.token(name)
			e.token("node")
			cn, err := t.node(cabs, cfi)
			if err != nil {
				return n, err
			}
			e.token(")")
			entries = append(entries, castore.Entry{Name: name, Node: cn})
		}
		d := &castore.Directory{Entries: entries}
		if t.putter == nil {
			t.putter = t.dirs.NewPutter(t.ctx)
		}
		if err := t.putter.Put(d); err != nil {
			return n, fmt.Errorf("storing directory %s: %w", abs, err)
		}
		n = d.Node()
	case m.IsRegular():
		data, err := t.fsys.ReadFile(t.ctx, abs)
		if err != nil {
			return n, err
		}
		exec := m.Perm()&0o100 != 0
		e.token("regular")
		if exec {
			e.token("executable")
			e.token("")
		}
		e.token("contents")
		e.bytes(data)
		dg, size, err := t.blobs.Put(t.ctx, bytes.NewReader(data))
		if err != nil {
			return n, fmt.Errorf("storing %s: %w", abs, err)
		}
		n = castore.FileNode(dg, size, exec)
	default:
		return n, fmt.Errorf("file '%s' has an unsupported type", abs)
	}
	e.token(")")
	return n, nil
}
