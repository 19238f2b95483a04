// Package memory is a castore backend that keeps everything in process
// memory: for tests, and as the near side of a cache.
package memory

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/castore/chunked"
)

// New returns an empty in-memory store.
func New() *castore.Store {
	m := &mem{
		chunks:    make(map[castore.Digest][]byte),
		manifests: make(map[castore.Digest][]castore.ChunkMeta),
		dirs:      make(map[castore.Digest][]byte),
	}
	return castore.NewStore(chunked.New(m), castore.NewDirectoryService(m), nil)
}

// mem implements chunked.Store and castore.DirectoryStore.
type mem struct {
	mu        sync.RWMutex
	chunks    map[castore.Digest][]byte
	manifests map[castore.Digest][]castore.ChunkMeta
	dirs      map[castore.Digest][]byte
}

func (m *mem) HasChunk(_ context.Context, d castore.Digest) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.chunks[d]
	return ok, nil
}

func (m *mem) ReadChunk(_ context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.chunks[d]
	if !ok {
		return nil, fmt.Errorf("chunk %s: %w", d, castore.ErrNotFound)
	}
	return append(buf, b...), nil
}

func (m *mem) WriteChunk(_ context.Context, d castore.Digest, data []byte) error {
	b := slices.Clone(data)
	if b == nil {
		b = []byte{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chunks[d] = b
	return nil
}

func (m *mem) Manifest(_ context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.manifests[d]
	if !ok {
		return nil, fmt.Errorf("manifest %s: %w", d, castore.ErrNotFound)
	}
	return slices.Clone(c), nil
}

func (m *mem) WriteManifest(_ context.Context, d castore.Digest, chunks []castore.ChunkMeta) error {
	c := slices.Clone(chunks)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.manifests[d] = c
	return nil
}

func (m *mem) GetDirectory(_ context.Context, d castore.Digest) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.dirs[d]
	if !ok {
		return nil, fmt.Errorf("directory %s: %w", d, castore.ErrNotFound)
	}
	return b, nil
}

func (m *mem) PutDirectories(_ context.Context, closure []castore.EncodedDirectory) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range closure {
		m.dirs[e.Digest] = e.Bytes
	}
	return nil
}

func (m *mem) ChunkSize(_ context.Context, d castore.Digest) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.chunks[d]
	if !ok {
		return 0, fmt.Errorf("chunk %s: %w", d, castore.ErrNotFound)
	}
	return uint64(len(b)), nil
}
