// Package memory is a PathInfoService that keeps everything in process
// memory: for tests, and as the near side of a cache.
package memory

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
)

// Service is an in-memory PathInfoService.
type Service struct {
	mu    sync.RWMutex
	infos map[[storepath.DigestSize]byte]*store.PathInfo
}

var _ store.PathInfoService = (*Service)(nil)

// New returns an empty service.
func New() *Service {
	return &Service{infos: make(map[[storepath.DigestSize]byte]*store.PathInfo)}
}

// Get returns a copy of the PathInfo stored under digest.
func (s *Service) Get(ctx context.Context, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	p, ok := s.infos[digest]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("path info %s: %w", storepath.StorePath{Digest: digest, Name: "*"}.HashPart(), store.ErrNotFound)
	}
	return p.Clone(), nil
}

// Put validates and stores a copy of info.
func (s *Service) Put(ctx context.Context, info *store.PathInfo) (*store.PathInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := info.Validate(); err != nil {
		return nil, err
	}
	p := info.Clone()
	p.Normalize()
	s.mu.Lock()
	s.infos[p.StorePath.Digest] = p
	s.mu.Unlock()
	return p.Clone(), nil
}

// List yields copies of every PathInfo.
func (s *Service) List(ctx context.Context) iter.Seq2[*store.PathInfo, error] {
	return func(yield func(*store.PathInfo, error) bool) {
		s.mu.RLock()
		all := make([]*store.PathInfo, 0, len(s.infos))
		for _, p := range s.infos {
			all = append(all, p)
		}
		s.mu.RUnlock()
		for _, p := range all {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			if !yield(p.Clone(), nil) {
				return
			}
		}
	}
}
