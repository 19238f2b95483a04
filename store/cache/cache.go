// Package cache puts a near store (fast, small) in front of a far one
// (slow, complete): cache://?near=URL&far=URL.
//
// A PathInfo missing from near is read from far; its contents are copied
// into near's castore (only what near lacks) before the PathInfo is put
// into near, so near never holds a path whose contents it lacks. Writes go
// to far first and then near, so nothing written through a cache exists
// only in it. Listing lists far, the complete one.
package cache

import (
	"context"
	"errors"
	"iter"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Service is the PathInfoService of a cache.
type Service struct {
	near, far       store.PathInfoService
	nearCas, farCas *castore.Store
	sameCastore     bool
}

var _ store.PathInfoService = (*Service)(nil)

// New returns the PathInfoService of near in front of far. nearCas and
// farCas are their castores; they may be the same (a far binary cache
// source ingests straight into near's castore).
func New(near store.PathInfoService, nearCas *castore.Store, far store.PathInfoService, farCas *castore.Store) *Service {
	return &Service{near: near, far: far, nearCas: nearCas, farCas: farCas, sameCastore: nearCas == farCas}
}

// Get reads near, else far, filling near.
func (s *Service) Get(ctx context.Context, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	info, err := s.near.Get(ctx, digest)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return info, err
	}
	info, err = s.far.Get(ctx, digest)
	if err != nil {
		return nil, err
	}
	if !s.sameCastore {
		if err := store.CopyNode(ctx, s.farCas, s.nearCas, info.Node, nil); err != nil {
			return nil, err
		}
	}
	if _, err := s.near.Put(ctx, info); err != nil {
		return nil, err
	}
	return info, nil
}

// Put writes to far, then near. A read-only far (a binary cache source)
// is skipped.
func (s *Service) Put(ctx context.Context, info *store.PathInfo) (*store.PathInfo, error) {
	out, err := s.far.Put(ctx, info)
	if errors.Is(err, store.ErrReadOnly) {
		out = info
	} else if err != nil {
		return nil, err
	}
	if _, err := s.near.Put(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// List lists far, or near if far cannot list.
func (s *Service) List(ctx context.Context) iter.Seq2[*store.PathInfo, error] {
	return func(yield func(*store.PathInfo, error) bool) {
		for info, err := range s.far.List(ctx) {
			if errors.Is(err, store.ErrNotListable) {
				for info, err := range s.near.List(ctx) {
					if !yield(info, err) {
						return
					}
				}
				return
			}
			if !yield(info, err) {
				return
			}
		}
	}
}
