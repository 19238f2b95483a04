package store

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// only what dst lacks. A directory dst holds implies its closure and its
// files (castore keeps closures whole, and govix servers check the blobs a
// directory names), so the closure is walked from the root down, asking dst
// a level at a time which directories it lacks; only the files of those
// are candidates, and of them only the blobs dst lacks are sent. When dst
// takes partial closures (castore.PartialPutterMaker, a govix server),
// only the directories it lacks are sent; otherwise the whole closure is.
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
	missing, err := castore.MissingDirectories(ctx, dst.Directories, []castore.Digest{n.Digest})
	if err != nil {
		return err
	}
	if !missing[n.Digest] {
		return nil
	}
	closure, err := castore.Closure(ctx, src.Directories, n.Digest)
	if err != nil {
		return err
	}
	byDigest := make(map[castore.Digest]*castore.Directory, len(closure))
	for _, d := range closure {
		byDigest[d.Digest()] = d
	}
	asked := map[castore.Digest]bool{n.Digest: true}
	for frontier := []castore.Digest{n.Digest}; len(frontier) > 0; {
		var kids []castore.Digest
		for _, dg := range frontier {
			for _, e := range byDigest[dg].Entries {
				if e.Kind == castore.KindDirectory && !asked[e.Digest] {
					asked[e.Digest] = true
					kids = append(kids, e.Digest)
				}
			}
		}
		m, err := castore.MissingDirectories(ctx, dst.Directories, kids)
		if err != nil {
			return err
		}
		frontier = frontier[:0]
		for _, k := range kids {
			if m[k] {
				missing[k] = true
				frontier = append(frontier, k)
			}
		}
	}
	var files []castore.Node
	seen := map[castore.Node]bool{}
	for dg := range missing {
		for _, e := range byDigest[dg].Entries {
			if e.Kind == castore.KindFile && !seen[e.Node] {
				seen[e.Node] = true
				files = append(files, e.Node)
			}
		}
	}
	if err := copyBlobs(ctx, src, dst, files, stats); err != nil {
		return err
	}
	var p castore.DirectoryPutter
	partial := false
	if pm, ok := dst.Directories.(castore.PartialPutterMaker); ok {
		p, partial = pm.NewPartialPutter(ctx), true
	} else {
		p = dst.Directories.NewPutter(ctx)
	}
	for _, d := range castore.LeavesFirst(closure) {
		if partial && !missing[d.Digest()] {
			continue
		}
		if err := p.Put(d); err != nil {
			return fmt.Errorf("sending directories: %w", err)
		}
		stats.Directories.Add(1)
		stats.DirBytes.Add(int64(d.EncodedLen()))
	}
	if _, err := p.Close(); err != nil {
		return fmt.Errorf("sending directories: %w", err)
	}
	return nil
}

// copyBlobs sends the blobs of files that dst lacks, several at a time.
func copyBlobs(ctx context.Context, src, dst *castore.Store, files []castore.Node, stats *CopyStats) error {
	digests := make([]castore.Digest, 0, len(files))
	sizes := make(map[castore.Digest]uint64, len(files))
	for _, f := range files {
		if _, dup := sizes[f.Digest]; !dup {
			digests = append(digests, f.Digest)
		}
		sizes[f.Digest] = f.Size
	}
	missing, err := castore.MissingBlobs(ctx, dst.Blobs, digests)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(copyConcurrency)
	for _, d := range digests {
		size := sizes[d]
		if !missing[d] {
			stats.BlobsSkipped.Add(1)
			stats.BytesShared.Add(int64(size))
			continue
		}
		g.Go(func() error {
			r, err := src.Blobs.Open(ctx, d)
			if err != nil {
				return err
			}
			defer r.Close()
			got, n, err := dst.Blobs.Put(ctx, io.LimitReader(r, int64(size)+1))
			if err != nil {
				return fmt.Errorf("sending blob %s: %w", d, err)
			}
			if got != d || n != size {
				return fmt.Errorf("sending blob %s: %w: arrived as %s (%d bytes, want %d)", d, ErrCorrupt, got, n, size)
			}
			stats.Blobs.Add(1)
			stats.BlobBytes.Add(int64(n))
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
