package castore

import (
	"context"
	"io"
	"iter"
)

// BlobService stores blobs: byte strings named by the BLAKE3 digest of their
// contents. A backend may store a blob as a list of chunks (each itself a
// blob that can be opened on its own); readers only see whole blobs.
//
// Implementations are safe for concurrent use.
type BlobService interface {
	// Has reports whether the blob (or chunk) with digest d is stored.
	Has(ctx context.Context, d Digest) (bool, error)

	// Chunks returns the chunks the blob is stored as, in order, each with
	// its digest and size. A blob stored whole has no chunks: the result is
	// empty and nil. An absent blob gives an error wrapping ErrNotFound.
	Chunks(ctx context.Context, d Digest) ([]ChunkMeta, error)

	// Open returns a reader of the blob's contents that seeks, and that
	// verifies what it reads against the digests it knows before handing
	// bytes out: a chunk is checked as a whole before any of it is returned,
	// and a blob read from start to end is checked against d at EOF. A
	// mismatch is an error wrapping ErrCorrupt. An absent blob gives an
	// error wrapping ErrNotFound.
	Open(ctx context.Context, d Digest) (io.ReadSeekCloser, error)

	// Put stores everything read from r until EOF as one blob and returns
	// its digest and size. The blob is readable when Put returns; how soon
	// it is durable is the backend's documented policy (see local).
	Put(ctx context.Context, r io.Reader) (Digest, uint64, error)
}

// ChunkMeta names one chunk of a blob.
type ChunkMeta struct {
	Digest Digest
	Size   uint64
}

// DirectoryService stores Directories. Every stored Directory's whole
// closure (the directories below it) is stored too: putters only accept
// complete closures.
//
// Implementations are safe for concurrent use.
type DirectoryService interface {
	// Get returns the Directory with digest d, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, d Digest) (*Directory, error)

	// GetRecursive yields the Directory with digest root and then every
	// Directory below it, each once, in breadth-first order, so that each
	// one comes after a Directory that refers to it. An absent root is an
	// error wrapping ErrNotFound. Iteration stops at the first error.
	GetRecursive(ctx context.Context, root Digest) iter.Seq2[*Directory, error]

	// NewPutter starts uploading a closure. Abandon a putter by cancelling
	// ctx.
	NewPutter(ctx context.Context) DirectoryPutter
}

// DirectoryPutter uploads one closure of Directories, leaves first: a
// Directory may only refer to Directories put before it through the same
// putter, with the right sizes. The last one put is the root. Sending one
// Directory twice is allowed and stores it once. A putter is used by one
// goroutine at a time.
type DirectoryPutter interface {
	// Put checks d (on its own and against the directories put so far) and
	// queues it.
	Put(d *Directory) error

	// Close checks that every directory put is reachable from the root (the
	// last one put), stores the closure, and returns the root's digest.
	// Nothing is visible before Close succeeds.
	Close() (Digest, error)
}

// Store bundles the blob and directory services of one backend.
type Store struct {
	Blobs       BlobService
	Directories DirectoryService
	close       func() error
}

// NewStore bundles two services; close (which may be nil) releases what
// they hold.
func NewStore(blobs BlobService, dirs DirectoryService, close func() error) *Store {
	return &Store{Blobs: blobs, Directories: dirs, close: close}
}

// Close releases the backend's resources, flushing what it buffered.
func (s *Store) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// PutDirectory stores a single Directory that has no subdirectories (a
// putter only accepts subdirectories sent through it): a shorthand for a
// putter with one Put.
func PutDirectory(ctx context.Context, ds DirectoryService, d *Directory) (Digest, error) {
	p := ds.NewPutter(ctx)
	if err := p.Put(d); err != nil {
		return Digest{}, err
	}
	return p.Close()
}
