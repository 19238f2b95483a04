package castore

import (
	"fmt"
)

// ClosureChecker checks a closure of Directories sent leaves first, as
// DirectoryPutter requires: each Directory valid, each subdirectory sent
// before with the size the parent claims, and, at Finish, every Directory
// reachable from the last one (the root). Backends build their putters on
// it, so the rules live in one place.
//
// The zero value is ready to use. Not safe for concurrent use.
type ClosureChecker struct {
	sizes    map[Digest]uint64   // directories accepted, with their Size
	children map[Digest][]Digest // subdirectory digests, for the reachability check
	root     Digest
	n        int
}

// Add checks d against the closure so far. It returns d's digest and
// whether d is new (false for a repeat, which needs no storing).
func (c *ClosureChecker) Add(d *Directory) (dg Digest, isNew bool, err error) {
	if err := d.Validate(); err != nil {
		return Digest{}, false, err
	}
	dg = d.Digest()
	if c.sizes == nil {
		c.sizes = make(map[Digest]uint64)
		c.children = make(map[Digest][]Digest)
	}
	c.root = dg
	c.n++
	if _, ok := c.sizes[dg]; ok {
		return dg, false, nil
	}
	var kids []Digest
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.Kind != KindDirectory {
			continue
		}
		size, ok := c.sizes[e.Digest]
		if !ok {
			return Digest{}, false, fmt.Errorf("%w: directory %s refers to %q = %s, which was not sent before it", ErrInvalid, dg, e.Name, e.Digest)
		}
		if size != e.Size {
			return Digest{}, false, fmt.Errorf("%w: directory %s: entry %q claims size %d, but %s has size %d", ErrInvalid, dg, e.Name, e.Size, e.Digest, size)
		}
		kids = append(kids, e.Digest)
	}
	c.sizes[dg] = d.Size()
	if len(kids) > 0 {
		c.children[dg] = kids
	}
	return dg, true, nil
}

// Len is the number of distinct directories accepted.
func (c *ClosureChecker) Len() int { return len(c.sizes) }

// Finish checks that something was sent and that every directory is
// reachable from the root, the last one sent, and returns the root.
func (c *ClosureChecker) Finish() (Digest, error) {
	if c.n == 0 {
		return Digest{}, fmt.Errorf("%w: no directories were sent", ErrInvalid)
	}
	seen := map[Digest]bool{c.root: true}
	queue := []Digest{c.root}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, k := range c.children[d] {
			if !seen[k] {
				seen[k] = true
				queue = append(queue, k)
			}
		}
	}
	if len(seen) != len(c.sizes) {
		for d := range c.sizes {
			if !seen[d] {
				return Digest{}, fmt.Errorf("%w: directory %s is not reachable from the root %s (the last one sent)", ErrInvalid, d, c.root)
			}
		}
	}
	return c.root, nil
}
