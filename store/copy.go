package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/narinfo"
	"github.com/govix/govix/nixcompat/storepath"
)

// CopyStats counts what a copy sent and what it found already there.
type CopyStats struct {
	Paths, PathsSkipped       atomic.Int64
	Blobs, BlobBytes          atomic.Int64 // blobs sent, and their bytes
	BlobsSkipped, BytesShared atomic.Int64 // blobs the destination had
	Directories, DirBytes     atomic.Int64 // directories sent
}

// copyConcurrency is how many blobs are checked and sent at a time: enough
// to hide the latency of a remote store.
const copyConcurrency = 8

// CopyNode makes the contents of n, read from src, present in dst, sending
// only the blobs dst lacks, and the directories of n's closure unless dst
// has its root directory already (a stored directory implies its closure).
// Every blob is verified by digest on arrival: the digest dst computes
// must be the one src named.
func CopyNode(ctx context.Context, src, dst *castore.Store, n castore.Node, stats *CopyStats) error {
	if stats == nil {
		stats = &CopyStats{}
	}
	switch n.Kind {
	case castore.KindSymlink:
		return nil
	case castore.KindFile:
		return copyBlobs(ctx, src, dst, []castore.Node{n}, stats)
	case castore.KindDirectory:
	default:
		return fmt.Errorf("%w: node of kind %s", ErrInvalid, n.Kind)
	}
	if _, err := dst.Directories.Get(ctx, n.Digest); err == nil {
		return nil
	} else if !errors.Is(err, castore.ErrNotFound) {
		return err
	}
	closure, err := castore.Closure(ctx, src.Directories, n.Digest)
	if err != nil {
		return err
	}
	var files []castore.Node
	seen := map[castore.Node]bool{}
	for _, d := range closure {
		for i := range d.Entries {
			if e := d.Entries[i].Node; e.Kind == castore.KindFile && !seen[e] {
				seen[e] = true
				files = append(files, e)
			}
		}
	}
	if err := copyBlobs(ctx, src, dst, files, stats); err != nil {
		return err
	}
	p := dst.Directories.NewPutter(ctx)
	for _, d := range castore.LeavesFirst(closure) {
		if err := p.Put(d); err != nil {
			return fmt.Errorf("sending directories: %w", err)
		}
		stats.Directories.Add(1)
		stats.DirBytes.Add(int64(len(d.Marshal())))
	}
	if _, err := p.Close(); err != nil {
		return fmt.Errorf("sending directories: %w", err)
	}
	return nil
}

// copyBlobs sends the blobs of files that dst lacks, several at a time.
func copyBlobs(ctx context.Context, src, dst *castore.Store, files []castore.Node, stats *CopyStats) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(copyConcurrency)
	var mu sync.Mutex
	sent := map[castore.Digest]bool{}
	for _, f := range files {
		g.Go(func() error {
			mu.Lock()
			dup := sent[f.Digest]
			sent[f.Digest] = true
			mu.Unlock()
			if dup {
				return nil
			}
			ok, err := dst.Blobs.Has(ctx, f.Digest)
			if err != nil {
				return err
			}
			if ok {
				stats.BlobsSkipped.Add(1)
				stats.BytesShared.Add(int64(f.Size))
				return nil
			}
			r, err := src.Blobs.Open(ctx, f.Digest)
			if err != nil {
				return err
			}
			defer r.Close()
			d, size, err := dst.Blobs.Put(ctx, io.LimitReader(r, int64(f.Size)+1))
			if err != nil {
				return fmt.Errorf("sending blob %s: %w", f.Digest, err)
			}
			if d != f.Digest || size != f.Size {
				return fmt.Errorf("sending blob %s: %w: arrived as %s (%d bytes, want %d)", f.Digest, ErrCorrupt, d, size, f.Size)
			}
			stats.Blobs.Add(1)
			stats.BlobBytes.Add(int64(size))
			return nil
		})
	}
	return g.Wait()
}

// CopyOptions say how CopyPaths copies.
type CopyOptions struct {
	// TrustedKeys: a path needs a valid signature by one of them, unless
	// it is content-addressed or NoCheckSigs is set.
	TrustedKeys []narinfo.PublicKey
	NoCheckSigs bool
	// NoClosure copies only the paths named, not what they refer to.
	NoClosure bool
	// Stats, if set, receives the counts.
	Stats *CopyStats
	// Progress, if set, is called after each path, from several
	// goroutines.
	Progress func(info *PathInfo, skipped bool)
}

// ErrUntrusted: a path has no valid signature by a trusted key.
var ErrUntrusted = errors.New("path lacks a valid signature by a trusted key")

// Trusted reports whether info may be accepted: it has a valid signature
// by one of keys, or it is content-addressed (its path follows from its
// content address and references).
func Trusted(info *PathInfo, keys []narinfo.PublicKey) (bool, error) {
	ni := info.NarInfo(storepath.DefaultStoreDir, "")
	if ni.IsContentAddressed() {
		return true, nil
	}
	n, err := ni.Verify(keys...)
	return n > 0, err
}

// CopyPaths copies paths, with their closures, from src to dst: contents
// first (only what dst lacks), then each PathInfo, references before the
// paths that refer to them, so that dst never holds a path without its
// references. Paths dst has already (with the same NAR hash) are skipped.
func CopyPaths(ctx context.Context, src, dst *Store, paths []storepath.StorePath, opts *CopyOptions) error {
	var o CopyOptions
	if opts != nil {
		o = *opts
	}
	if o.Stats == nil {
		o.Stats = &CopyStats{}
	}
	var infos []*PathInfo
	if o.NoClosure {
		for _, p := range paths {
			info, err := src.PathInfo.Get(ctx, p.Digest)
			if err != nil {
				return fmt.Errorf("%s: %w", storepath.DefaultStoreDir.Print(p), err)
			}
			infos = append(infos, info)
		}
	} else {
		var err error
		if infos, err = Closure(ctx, src.PathInfo, paths); err != nil {
			return err
		}
	}
	infos, err := TopoSort(infos)
	if err != nil {
		return err
	}
	srcCas, dstCas := src.Castore(), dst.Castore()
	// Paths are copied several at a time; each PathInfo is put once its
	// contents are in and the PathInfos of its references are.
	done := make(map[storepath.StorePath]chan struct{}, len(infos))
	for _, info := range infos {
		done[info.StorePath] = make(chan struct{})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(copyPathConcurrency)
	for _, info := range infos {
		g.Go(func() error {
			err := copyPath(gctx, srcCas, dstCas, dst, info, done, &o)
			if err == nil {
				close(done[info.StorePath])
			}
			return err
		})
	}
	return g.Wait()
}

// copyPathConcurrency is how many paths CopyPaths copies at a time.
const copyPathConcurrency = 4

func copyPath(ctx context.Context, srcCas, dstCas *castore.Store, dst *Store, info *PathInfo, done map[storepath.StorePath]chan struct{}, o *CopyOptions) error {
	p := storepath.DefaultStoreDir.Print(info.StorePath)
	if old, err := dst.PathInfo.Get(ctx, info.StorePath.Digest); err == nil && old.StorePath == info.StorePath && old.NarSHA256 == info.NarSHA256 {
		o.Stats.PathsSkipped.Add(1)
		if o.Progress != nil {
			o.Progress(info, true)
		}
		return nil
	}
	if !o.NoCheckSigs {
		ok, err := Trusted(info, o.TrustedKeys)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if !ok {
			return fmt.Errorf("%s: %w", p, ErrUntrusted)
		}
	}
	if err := CopyNode(ctx, srcCas, dstCas, info.Node, o.Stats); err != nil {
		return fmt.Errorf("copying %s: %w", p, err)
	}
	for _, r := range info.References {
		if ch, ok := done[r]; ok && r != info.StorePath {
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if _, err := dst.PathInfo.Put(ctx, info); err != nil {
		return fmt.Errorf("copying %s: %w", p, err)
	}
	o.Stats.Paths.Add(1)
	if o.Progress != nil {
		o.Progress(info, false)
	}
	return nil
}
