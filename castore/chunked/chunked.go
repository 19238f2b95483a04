// Package chunked builds a castore.BlobService on top of a plain chunk
// store. Writing, it splits blobs with FastCDC, hashes each chunk and the
// whole blob, stores only chunks the store lacks, and records a manifest
// (the chunk list) for blobs of more than one chunk. Reading, it checks
// every chunk against its digest before handing any of it out, and the whole
// blob against its digest when read through; seeks and ranges load only the
// chunks they cover.
//
// Backends (memory, local, object storage) implement the small Store
// interface; the chunking and verification rules live here once.
package chunked

import (
	"context"

	"github.com/govix/govix/castore"
)

// Store is the raw storage under a chunked BlobService. Chunks and
// manifests are keyed by digest; the store need not verify anything (the
// Service does), but must not report a chunk or manifest as present before
// its bytes can be read back.
type Store interface {
	// HasChunk reports whether the chunk d is stored.
	HasChunk(ctx context.Context, d castore.Digest) (bool, error)
	// ReadChunk appends the stored bytes of chunk d to buf and returns the
	// result, or an error wrapping castore.ErrNotFound.
	ReadChunk(ctx context.Context, d castore.Digest, buf []byte) ([]byte, error)
	// WriteChunk stores data as chunk d. data is only valid during the
	// call. Writing a chunk that is present is allowed.
	WriteChunk(ctx context.Context, d castore.Digest, data []byte) error
	// Manifest returns the chunk list of blob d, or an error wrapping
	// castore.ErrNotFound when d has no manifest (it may still be a chunk).
	Manifest(ctx context.Context, d castore.Digest) ([]castore.ChunkMeta, error)
	// WriteManifest records the chunk list of blob d, after all its chunks
	// were written.
	WriteManifest(ctx context.Context, d castore.Digest, chunks []castore.ChunkMeta) error
}

// ManifestTruster is implemented by a Store whose manifests are known to
// hash to their blob's digest (it records one only after hashing the blob
// it lists, and its index is as trusted as the code reading it). Readers of
// its blobs still check every chunk against its digest, but do not hash
// the whole blob a second time.
type ManifestTruster interface {
	TrustsManifests() bool
}

func trustsManifests(s Store) bool {
	t, ok := s.(ManifestTruster)
	return ok && t.TrustsManifests()
}

// ChunkSizer is implemented by a Store that knows a chunk's size without
// reading it; Service.Size then reads nothing.
type ChunkSizer interface {
	// ChunkSize returns the size of chunk d, or an error wrapping
	// castore.ErrNotFound.
	ChunkSize(ctx context.Context, d castore.Digest) (uint64, error)
}
