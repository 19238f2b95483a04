package objectstore

import (
	"context"
	"fmt"
	"iter"

	"golang.org/x/sync/errgroup"

	"github.com/govix/govix/castore"
)

// PutDirectories stores a checked closure (leaves first, root last) so that
// no directory is ever visible without the directories below it.
//
// First it finds, from the root down, the directories that are missing: a
// stored directory implies its whole closure is stored, so the search does
// not go below one. Then it writes the missing ones a height at a time,
// leaves first, each height in parallel, waiting for one height to be
// stored before starting the next.
func (o *objects) PutDirectories(ctx context.Context, closure []castore.EncodedDirectory) error {
	if len(closure) == 0 {
		return nil
	}
	type node struct {
		enc      castore.EncodedDirectory
		children []castore.Digest
		missing  bool
		height   int
	}
	nodes := make(map[castore.Digest]*node, len(closure))
	for _, e := range closure {
		dir, err := castore.UnmarshalDirectory(e.Bytes)
		if err != nil {
			return fmt.Errorf("objectstore: directory %s: %w", e.Digest, err)
		}
		n := &node{enc: e}
		for _, entry := range dir.Entries {
			if entry.Kind == castore.KindDirectory {
				n.children = append(n.children, entry.Digest)
			}
		}
		nodes[e.Digest] = n
	}

	// Top-down: which directories are missing?
	root := closure[len(closure)-1].Digest
	visited := map[castore.Digest]bool{root: true}
	frontier := []castore.Digest{root}
	for _, n := range nodes {
		for _, c := range n.children {
			if nodes[c] == nil { // the putter's ClosureChecker rules this out
				return fmt.Errorf("objectstore: %w: directory %s refers to %s, which is not in the closure", castore.ErrInvalid, n.enc.Digest, c)
			}
		}
	}
	for len(frontier) > 0 {
		present := make([]bool, len(frontier))
		if err := o.parallel(ctx, len(frontier), func(ctx context.Context, i int) error {
			ok, err := o.exists(ctx, o.key(dirsDir, frontier[i]))
			present[i] = ok
			return err
		}); err != nil {
			return err
		}
		var next []castore.Digest
		for i, d := range frontier {
			if present[i] {
				continue
			}
			n := nodes[d]
			n.missing = true
			for _, c := range n.children {
				if !visited[c] {
					visited[c] = true
					next = append(next, c)
				}
			}
		}
		frontier = next
	}

	// Heights of the missing directories, leaves (and directories whose
	// subdirectories are all stored) at 0; the closure is leaves first.
	var byHeight [][]*node
	for _, e := range closure {
		n := nodes[e.Digest]
		if !n.missing {
			continue
		}
		for _, c := range n.children {
			if cn := nodes[c]; cn.missing {
				n.height = max(n.height, cn.height+1)
			}
		}
		for len(byHeight) <= n.height {
			byHeight = append(byHeight, nil)
		}
		byHeight[n.height] = append(byHeight[n.height], n)
	}
	for _, level := range byHeight {
		if err := o.parallel(ctx, len(level), func(ctx context.Context, i int) error {
			return o.write(ctx, o.key(dirsDir, level[i].enc.Digest), level[i].enc.Bytes)
		}); err != nil {
			return err
		}
	}
	return nil
}

// parallel runs f(0) … f(n-1), as many at a time as the store allows
// requests, and returns the first error.
func (o *objects) parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	if n == 1 {
		return f(ctx, 0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cap(o.sem))
	for i := range n {
		g.Go(func() error { return f(gctx, i) })
	}
	return g.Wait()
}

// dirService is castore's directory service over the objects, with a
// GetRecursive that fetches a level of the closure at a time, in parallel.
type dirService struct {
	castore.DirectoryService
	o *objects
}

// GetRecursive yields the closure of root breadth-first, as
// castore.WalkRecursive does, checking the same things: each directory is
// the one its digest names, with the size its parent claims.
func (s *dirService) GetRecursive(ctx context.Context, root castore.Digest) iter.Seq2[*castore.Directory, error] {
	return func(yield func(*castore.Directory, error) bool) {
		type item struct {
			digest castore.Digest
			size   uint64
			check  bool
		}
		seen := map[castore.Digest]bool{root: true}
		level := []item{{digest: root}}
		for len(level) > 0 {
			dirs := make([]*castore.Directory, len(level))
			errs := make([]error, len(level))
			// Errors are kept per item and reported in order; one does not
			// cancel the other fetches, which would hide it behind theirs.
			_ = s.o.parallel(ctx, len(level), func(ctx context.Context, i int) error {
				dirs[i], errs[i] = s.DirectoryService.Get(ctx, level[i].digest)
				return nil
			})
			var next []item
			for i, it := range level {
				d, err := dirs[i], errs[i]
				if err == nil && it.check && d.Size() != it.size {
					err = fmt.Errorf("%w: directory %s has size %d, but its parent claims %d", castore.ErrCorrupt, it.digest, d.Size(), it.size)
				}
				if err != nil {
					yield(nil, err)
					return
				}
				for _, e := range d.Entries {
					if e.Kind == castore.KindDirectory && !seen[e.Digest] {
						seen[e.Digest] = true
						next = append(next, item{digest: e.Digest, size: e.Size, check: true})
					}
				}
				if !yield(d, nil) {
					return
				}
			}
			level = next
		}
	}
}
