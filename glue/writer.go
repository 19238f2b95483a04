package glue

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/nixhash"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// PathInfoBatcher is implemented by PathInfo services that can store many
// PathInfos in one transaction. Flush uses it when the store's service has
// it: an evaluation writes thousands of small paths, and a durable
// transaction for each would cost more than the evaluation.
type PathInfoBatcher interface {
	PutBatch(ctx context.Context, infos []*store.PathInfo) error
}

// ingestConcurrency is how many paths Flush stores at once.
const ingestConcurrency = 4

// Pending returns the number of paths created since the last Flush that
// are waiting to be written.
func (g *Glue) Pending() int { return len(g.pending) }

// Flush writes every path created since the last Flush (store
// derivations, toFile results, copied sources) into the store: contents
// first, then their PathInfos, so that a path is never visible before its
// contents and references. Paths the store has already are skipped. In
// read-only mode there is nothing to write.
func (g *Glue) Flush(ctx context.Context) error {
	if len(g.pending) == 0 {
		return nil
	}
	st, err := g.store(ctx)
	if err != nil {
		return fmt.Errorf("writing %d store paths: %w", len(g.pending), err)
	}
	todo := make([]*pathEntry, 0, len(g.pending))
	for _, e := range g.pending {
		info, err := lookupInfo(ctx, st, e.path)
		if err != nil {
			return fmt.Errorf("querying %s: %w", e.printed, err)
		}
		if info == nil {
			todo = append(todo, e)
		}
	}
	infos := make([]*store.PathInfo, len(todo))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(ingestConcurrency)
	for i, e := range todo {
		eg.Go(func() error {
			info, err := g.ingest(ectx, st, e)
			if err != nil {
				return fmt.Errorf("writing %s: %w", e.printed, err)
			}
			infos[i] = info
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	if b, ok := st.PathInfo.(PathInfoBatcher); ok {
		if err := b.PutBatch(ctx, infos); err != nil {
			return fmt.Errorf("writing %d store paths: %w", len(infos), err)
		}
	} else {
		for _, info := range infos {
			if _, err := st.PathInfo.Put(ctx, info); err != nil {
				return fmt.Errorf("writing %s: %w", g.dir.Print(info.StorePath), err)
			}
		}
	}
	for _, e := range g.pending {
		e.written = true
	}
	for _, info := range infos {
		g.view.forget(g.dir.Print(info.StorePath))
	}
	g.pending = nil
	return nil
}

// ingest stores the contents of e in the castore and returns its
// PathInfo.
func (g *Glue) ingest(ctx context.Context, st *store.Store, e *pathEntry) (*store.PathInfo, error) {
	info := &store.PathInfo{StorePath: e.path, CA: e.ca}
	for _, r := range e.refs {
		p, err := g.dir.Parse(r)
		if err != nil {
			return nil, err
		}
		info.References = append(info.References, p)
	}
	switch {
	case e.text != nil:
		d, n, err := st.Blobs.Put(ctx, bytes.NewReader(e.text))
		if err != nil {
			return nil, err
		}
		info.Node = castore.FileNode(d, n, false)
		h, size, err := fileNARHash(e.text)
		if err != nil {
			return nil, err
		}
		info.NarSHA256, info.NarSize = h, size
		return info, nil
	case e.src != nil:
		fsys := &storeIO{g: g, base: g.io}
		src := e.src
		if src.method == storepath.Flat {
			data, err := fsys.ReadFile(ctx, src.root)
			if err != nil {
				return nil, err
			}
			if nixhash.Sum(nixhash.SHA256, data) != e.ca.Hash {
				return nil, fmt.Errorf("%s changed during the evaluation", src.root)
			}
			d, n, err := st.Blobs.Put(ctx, bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			info.Node = castore.FileNode(d, n, false)
			if info.NarSHA256, info.NarSize, err = fileNARHash(data); err != nil {
				return nil, err
			}
			return info, nil
		}
		var keep keepFunc
		if src.excl != nil {
			keep = func(abs, typ string) bool { return !src.excluded(abs[len(src.root)+1:]) }
		}
		n, size, sum, err := ingestTree(ctx, fsys, st.Blobs, st.Directories, src.root, keep)
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", src.root, err)
		}
		if !bytes.Equal(sum[:], e.narHash.Digest()) {
			return nil, fmt.Errorf("%s changed during the evaluation", src.root)
		}
		info.Node, info.NarSize, info.NarSHA256 = n, size, sum
		return info, nil
	}
	return nil, fmt.Errorf("nothing to write for %s", e.printed)
}

// writeFileNAR writes the NAR of a single non-executable regular file.
func writeFileNAR(w io.Writer, data []byte) error {
	e := &narEncoder{w: w}
	e.token(narMagic)
	e.token("(")
	e.token("type")
	e.token("regular")
	e.token("contents")
	e.bytes(data)
	e.token(")")
	return e.err
}

// fileNARHash returns the sha256 and size of the NAR of a single
// non-executable regular file.
func fileNARHash(data []byte) ([32]byte, uint64, error) {
	hw := nixhash.NewWriter(nixhash.SHA256)
	var sum [32]byte
	if err := writeFileNAR(hw, data); err != nil {
		return sum, 0, err
	}
	copy(sum[:], hw.Sum().Digest())
	return sum, uint64(hw.Len()), nil
}
