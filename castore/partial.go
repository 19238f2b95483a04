package castore

import (
	"context"
	"fmt"
)

// NewPartialPutter returns a putter into ds that, unlike ds's own, also
// accepts Directories referring to directories ds holds already, which
// then need not be sent: a client uploading a new version of a tree sends
// only the directories that changed. The stored children are read back
// (with their closures, verified as ds verifies what it reads) and put
// through ds's putter before the directories that name them, so every
// rule of ds's putter, sizes included, still applies to the whole closure.
func NewPartialPutter(ctx context.Context, ds DirectoryService) DirectoryPutter {
	return &partialPutter{ctx: ctx, ds: ds, p: ds.NewPutter(ctx), sent: make(map[Digest]bool)}
}

type partialPutter struct {
	ctx  context.Context
	ds   DirectoryService
	p    DirectoryPutter
	sent map[Digest]bool // put through p
}

func (pp *partialPutter) Put(d *Directory) error {
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.Kind != KindDirectory || pp.sent[e.Digest] {
			continue
		}
		closure, err := Closure(pp.ctx, pp.ds, e.Digest)
		if err != nil {
			return fmt.Errorf("%w: directory %s refers to %q = %s, which was neither sent before it nor stored: %w", ErrInvalid, d.Digest(), e.Name, e.Digest, err)
		}
		for _, c := range LeavesFirst(closure) {
			dg := c.Digest()
			if pp.sent[dg] {
				continue
			}
			if err := pp.p.Put(c); err != nil {
				return err
			}
			pp.sent[dg] = true
		}
	}
	if err := pp.p.Put(d); err != nil {
		return err
	}
	pp.sent[d.Digest()] = true
	return nil
}

func (pp *partialPutter) Close() (Digest, error) { return pp.p.Close() }
