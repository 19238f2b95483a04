package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"iter"

	"github.com/govix/govix/castore"
	"github.com/govix/govix/nixcompat/storepath"
)

// PathInfoService stores PathInfos, keyed by the 20-byte digest of their
// store path.
//
// Implementations are safe for concurrent use.
type PathInfoService interface {
	// Get returns the PathInfo of the store path with the given digest,
	// or an error wrapping ErrNotFound.
	Get(ctx context.Context, digest [storepath.DigestSize]byte) (*PathInfo, error)

	// Put validates and stores info, whose contents must already be in
	// the castore the service belongs to, replacing any PathInfo of the
	// same path. It returns what was stored, which may carry more
	// signatures (a signing service adds its own). A read-only service
	// returns an error wrapping ErrReadOnly.
	Put(ctx context.Context, info *PathInfo) (*PathInfo, error)

	// List yields every PathInfo, in no particular order. Iteration stops
	// at the first error. A service that cannot list (a binary cache)
	// yields an error wrapping ErrNotListable.
	List(ctx context.Context) iter.Seq2[*PathInfo, error]
}

// ErrNotListable is yielded by List on services that cannot enumerate
// their paths.
var ErrNotListable = errors.New("store cannot list its paths")

// NARCalculator computes the size and sha256 of the NAR serialisation of a
// castore node.
type NARCalculator interface {
	CalculateNAR(ctx context.Context, n castore.Node) (size uint64, sum [sha256.Size]byte, err error)
}

// Store is a whole store: the castore holding contents and the
// PathInfoService naming store paths in it.
type Store struct {
	Blobs       castore.BlobService
	Directories castore.DirectoryService
	PathInfo    PathInfoService
	// NAR computes NAR hashes and sizes, caching what it computed.
	NAR NARCalculator
	// Stored, if set, reads the bytes Blobs holds without verifying
	// them again; ServeNAR uses it.
	Stored StoredBlobs

	layouts layoutCache // of ServeNAR

	close func() error
}

// NewStore bundles the services of a store; close (which may be nil)
// releases what they hold. If nar is nil, NAR hashes are computed locally
// from the castore with a cache.
func NewStore(cas *castore.Store, pis PathInfoService, nar NARCalculator, close func() error) *Store {
	if nar == nil {
		nar = NewNARCalculator(cas.Blobs, cas.Directories)
	}
	return &Store{Blobs: cas.Blobs, Directories: cas.Directories, PathInfo: pis, NAR: nar, close: close}
}

// Castore returns the store's castore services, without a closer.
func (s *Store) Castore() *castore.Store { return castore.NewStore(s.Blobs, s.Directories, nil) }

// Close releases the store's resources.
func (s *Store) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}
