// Package local keeps PathInfos in the embedded on-disk store, next to the
// castore's own data: a bucket "store/pathinfo" in the castore/local
// database, mapping each store path's 20-byte digest to its PathInfo's
// protobuf encoding.
//
// A PathInfo is written through the castore's Update, which first makes
// every blob and directory written so far durable: a PathInfo that
// survives a crash never names contents that did not.
package local

import (
	"bytes"
	"context"
	"fmt"
	"iter"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/castore"
	clocal "github.com/govix/govix/castore/local"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/storepb"
)

var bucket = []byte("store/pathinfo")

// Service is a PathInfoService in a local store's database.
type Service struct {
	db *clocal.Store
}

var _ store.PathInfoService = (*Service)(nil)

// New returns the PathInfoService of the local store ls, creating its
// bucket if needed.
func New(ls *clocal.Store) (*Service, error) {
	exists := false
	err := ls.View(func(tx *bolt.Tx) error {
		exists = tx.Bucket(bucket) != nil
		return nil
	})
	if err == nil && !exists {
		err = ls.Update(context.Background(), func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(bucket)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: opening path infos: %w", err)
	}
	return &Service{db: ls}, nil
}

// Open opens the whole embedded store in dir: its castore and its path
// infos.
func Open(ctx context.Context, dir string) (*store.Store, error) {
	ls, err := clocal.Open(ctx, dir, nil)
	if err != nil {
		return nil, err
	}
	pis, err := New(ls)
	if err != nil {
		ls.Close()
		return nil, err
	}
	st := store.NewStore(ls.Castore(), pis, nil, ls.Close)
	st.Stored = StoredBlobs(ls)
	return st, nil
}

// StoredBlobs returns the store.StoredBlobs of ls, for a store.Store over
// it: NARs are served from the packs' bytes, which the castore hashed
// before writing them.
func StoredBlobs(ls *clocal.Store) store.StoredBlobs { return storedBlobs{ls} }

type storedBlobs struct{ ls *clocal.Store }

func (s storedBlobs) OpenStored(ctx context.Context, d castore.Digest) (store.StoredBlob, error) {
	b, err := s.ls.OpenStored(ctx, d)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func decode(k, v []byte) (*store.PathInfo, error) {
	var pp storepb.PathInfo
	if err := proto.Unmarshal(v, &pp); err != nil {
		return nil, fmt.Errorf("path info %x: %w: %w", k, store.ErrCorrupt, err)
	}
	p, err := store.FromProto(&pp)
	if err != nil {
		return nil, fmt.Errorf("path info %x: %w: %w", k, store.ErrCorrupt, err)
	}
	if !bytes.Equal(p.StorePath.Digest[:], k) {
		return nil, fmt.Errorf("path info %x: %w: stored under another digest than %s's", k, store.ErrCorrupt, p.StorePath)
	}
	return p, nil
}

// Get returns the PathInfo stored under digest.
func (s *Service) Get(ctx context.Context, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucket).Get(digest[:]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("path info %s: %w", storepath.StorePath{Digest: digest, Name: "x"}.HashPart(), store.ErrNotFound)
	}
	return decode(digest[:], v)
}

// Put stores info durably, together with everything the castore holds.
func (s *Service) Put(ctx context.Context, info *store.PathInfo) (*store.PathInfo, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	p := info.Clone()
	p.Normalize()
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(p.ToProto())
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put(bytes.Clone(p.StorePath.Digest[:]), v)
	})
	if err != nil {
		return nil, fmt.Errorf("storing path info %s: %w", p.StorePath, err)
	}
	return p, nil
}

// listPage is how many entries List reads per transaction: the caller
// runs between pages, free to write.
const listPage = 1024

// List yields every PathInfo, in digest order.
func (s *Service) List(ctx context.Context) iter.Seq2[*store.PathInfo, error] {
	return func(yield func(*store.PathInfo, error) bool) {
		var after []byte
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			var keys, vals [][]byte
			err := s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bucket).Cursor()
				var k, v []byte
				if after == nil {
					k, v = c.First()
				} else if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
				for ; k != nil && len(keys) < listPage; k, v = c.Next() {
					keys = append(keys, bytes.Clone(k))
					vals = append(vals, bytes.Clone(v))
				}
				return nil
			})
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range keys {
				p, err := decode(keys[i], vals[i])
				if !yield(p, err) || err != nil {
					return
				}
			}
			if len(keys) < listPage {
				return
			}
			after = keys[len(keys)-1]
		}
	}
}
