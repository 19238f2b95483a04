package fsio

import (
	"bytes"
	"context"
	"os"
	"time"

	"github.com/govix/govix/castore"
)

// StatCache is a persistent map from a file's absolute path to what Import
// learned about it: the file's identity as lstat reports it (device, inode,
// size, modification and change times, mode) and its blob digest. With one
// (Options.StatCache), Import does not read a file whose identity is
// unchanged since it was last stored and whose blob the store still has,
// as git does with its index. local.KV implements it.
type StatCache interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
}

// racyWindow is how old a file's change time must be when Import reads it
// for the result to be remembered. File times are only as fine as the
// kernel's clock tick: a file changed again within the tick in which it
// was read could keep its times, so recently changed files are read afresh
// each time until they settle.
var racyWindow = 2 * time.Second

// cached returns the file node Import recorded for path, if the file is
// unchanged and its blob still stored.
func cached(ctx context.Context, s *castore.Store, c StatCache, abs string, fi os.FileInfo) (castore.Node, bool) {
	id, ok := identity(fi)
	if !ok {
		return castore.Node{}, false
	}
	rec := c.Get([]byte(abs))
	if len(rec) != len(id)+castore.DigestSize || !bytes.Equal(rec[:len(id)], id) {
		return castore.Node{}, false
	}
	d := castore.Digest(rec[len(id):])
	if ok, err := s.Blobs.Has(ctx, d); err != nil || !ok {
		return castore.Node{}, false
	}
	return castore.FileNode(d, uint64(fi.Size()), fi.Mode()&0o100 != 0), true
}

// remember records that the file at abs, whose identity before and after
// reading was before and after, has blob digest d.
func remember(c StatCache, abs string, before, after os.FileInfo, readAt time.Time, d castore.Digest) {
	id, ok := identity(before)
	id2, ok2 := identity(after)
	if !ok || !ok2 || !bytes.Equal(id, id2) || !changedBefore(after, readAt.Add(-racyWindow)) {
		return
	}
	c.Put([]byte(abs), append(id, d[:]...))
}
