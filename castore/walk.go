package castore

import (
	"context"
	"fmt"
	"iter"
)

// WalkRecursive implements DirectoryService.GetRecursive for a backend that
// can fetch one verified Directory at a time: breadth-first from root, each
// digest once. It also checks that each subdirectory's Size is what its
// parent claims, so a backend cannot serve a closure that a putter would
// have refused.
func WalkRecursive(ctx context.Context, root Digest, get func(context.Context, Digest) (*Directory, error)) iter.Seq2[*Directory, error] {
	return func(yield func(*Directory, error) bool) {
		type item struct {
			digest Digest
			size   uint64
			check  bool
		}
		seen := map[Digest]bool{root: true}
		queue := []item{{digest: root}}
		for len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			d, err := get(ctx, it.digest)
			if err != nil {
				yield(nil, err)
				return
			}
			if it.check && d.Size() != it.size {
				yield(nil, fmt.Errorf("%w: directory %s has size %d, but its parent claims %d", ErrCorrupt, it.digest, d.Size(), it.size))
				return
			}
			for i := range d.Entries {
				e := &d.Entries[i]
				if e.Kind == KindDirectory && !seen[e.Digest] {
					seen[e.Digest] = true
					queue = append(queue, item{digest: e.Digest, size: e.Size, check: true})
				}
			}
			if !yield(d, nil) {
				return
			}
		}
	}
}

// Closure fetches the closure below root into memory, in the order
// GetRecursive yields it.
func Closure(ctx context.Context, ds DirectoryService, root Digest) ([]*Directory, error) {
	var out []*Directory
	for d, err := range ds.GetRecursive(ctx, root) {
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// LeavesFirst orders a closure (as Closure returns it, root first) so that
// every Directory comes after all the Directories it refers to: the order
// DirectoryPutter wants. Reversing breadth-first order is not enough when
// one directory is reachable at two depths.
func LeavesFirst(closure []*Directory) []*Directory {
	byDigest := make(map[Digest]*Directory, len(closure))
	for _, d := range closure {
		byDigest[d.Digest()] = d
	}
	out := make([]*Directory, 0, len(closure))
	done := make(map[Digest]bool, len(closure))
	// Iterative post-order depth-first search: a frame is a directory and
	// the index of the next entry to look at.
	type frame struct {
		d *Directory
		i int
	}
	for _, root := range closure {
		rd := root.Digest()
		if done[rd] {
			continue
		}
		done[rd] = true
		stack := []frame{{d: root}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.i < len(f.d.Entries) {
				e := &f.d.Entries[f.i]
				f.i++
				if e.Kind == KindDirectory && !done[e.Digest] {
					if child, ok := byDigest[e.Digest]; ok {
						done[e.Digest] = true
						stack = append(stack, frame{d: child})
					}
				}
				continue
			}
			out = append(out, f.d)
			stack = stack[:len(stack)-1]
		}
	}
	return out
}
