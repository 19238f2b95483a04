package local

import (
	"context"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"github.com/govix/govix/castore"
)

// CheckReport counts what Check looked at.
type CheckReport struct {
	Chunks, Manifests, Directories int
	Bytes                          int64
}

// Check reads back everything the index refers to and verifies it: every
// chunk against its digest, every manifest against its chunks (present,
// with the sizes it lists, and together hashing to the blob's digest), and
// every directory against its digest, with the directories below it
// present. It returns the first problem found, wrapping castore.ErrCorrupt.
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	if err := s.Sync(ctx); err != nil {
		return CheckReport{}, err
	}
	var rep CheckReport
	var chunks, manifests, dirs []castore.Digest
	err := s.db.view(func(tx *bolt.Tx) error {
		for _, x := range []struct {
			bucket []byte
			list   *[]castore.Digest
		}{{bucketChunks, &chunks}, {bucketManifests, &manifests}, {bucketDirectories, &dirs}} {
			err := tx.Bucket(x.bucket).ForEach(func(k, _ []byte) error {
				d, err := castore.DigestFromBytes(k)
				if err != nil {
					return fmt.Errorf("%w: key %x in %s", castore.ErrCorrupt, k, x.bucket)
				}
				*x.list = append(*x.list, d)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	cs := chunkStore{s}
	var buf []byte
	for _, d := range chunks {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if buf, err = cs.ReadChunk(ctx, d, buf[:0]); err != nil {
			return rep, err
		}
		if castore.Sum(buf) != d {
			return rep, fmt.Errorf("chunk %s: %w: the stored bytes hash to %s", d, castore.ErrCorrupt, castore.Sum(buf))
		}
		rep.Chunks++
		rep.Bytes += int64(len(buf))
	}
	for _, d := range manifests {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		r, err := s.blob.Open(ctx, d)
		if err != nil {
			return rep, err
		}
		// Reading through checks every chunk and then the whole blob.
		_, err = io.Copy(io.Discard, r)
		r.Close()
		if err != nil {
			return rep, err
		}
		rep.Manifests++
	}
	for _, d := range dirs {
		dir, err := s.dirs.Get(ctx, d)
		if err != nil {
			return rep, err
		}
		for _, e := range dir.Entries {
			if e.Kind != castore.KindDirectory {
				continue
			}
			child, err := s.dirs.Get(ctx, e.Digest)
			if errors.Is(err, castore.ErrNotFound) {
				return rep, fmt.Errorf("directory %s: %w: subdirectory %q (%s) is missing", d, castore.ErrCorrupt, e.Name, e.Digest)
			}
			if err != nil {
				return rep, err
			}
			if child.Size() != e.Size {
				return rep, fmt.Errorf("directory %s: %w: subdirectory %q has size %d, not %d", d, castore.ErrCorrupt, e.Name, child.Size(), e.Size)
			}
		}
		rep.Directories++
	}
	return rep, nil
}
