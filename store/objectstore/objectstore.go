// Package objectstore keeps PathInfos in object storage, in the same
// bucket as castore/objectstore's objects, so that a whole store (contents
// and path infos) lives in one S3-compatible bucket or directory shared by
// many machines.
//
// Layout, next to castore's chunks/, blobs/ and dirs/:
//
//	pathinfo/HASHPART    a PathInfo's protobuf encoding, named by the
//	                     store path's nix32 hash part
//
// An object appears whole or not at all, and a PathInfo is written only
// after its contents (which castore/objectstore writes leaves first), so a
// reader never finds a PathInfo whose contents are missing. Putting the
// same path again replaces the object; last writer wins.
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"google.golang.org/protobuf/proto"

	cobjectstore "github.com/govix/govix/castore/objectstore"
	"github.com/govix/govix/nixcompat/nixbase32"
	"github.com/govix/govix/nixcompat/storepath"
	"github.com/govix/govix/store"
	"github.com/govix/govix/store/storepb"
)

const dir = "pathinfo/"

// maxObject bounds a PathInfo object read back (real ones are well under
// a megabyte even with thousands of references).
const maxObject = 16 << 20

// Service is a PathInfoService in a bucket.
type Service struct {
	b      *blob.Bucket
	prefix string
}

var _ store.PathInfoService = (*Service)(nil)

// New returns the service keeping PathInfos in b under prefix (which, if
// not empty, ends in "/").
func New(b *blob.Bucket, prefix string) *Service { return &Service{b: b, prefix: prefix} }

func (s *Service) key(d [storepath.DigestSize]byte) string {
	return s.prefix + dir + nixbase32.EncodeToString(d[:])
}

func decode(key string, data []byte) (*store.PathInfo, error) {
	var pp storepb.PathInfo
	if err := proto.Unmarshal(data, &pp); err != nil {
		return nil, fmt.Errorf("path info %s: %w: %w", key, store.ErrCorrupt, err)
	}
	p, err := store.FromProto(&pp)
	if err != nil {
		return nil, fmt.Errorf("path info %s: %w: %w", key, store.ErrCorrupt, err)
	}
	if !strings.HasSuffix(key, "/"+p.StorePath.HashPart()) {
		return nil, fmt.Errorf("path info %s: %w: holds %s", key, store.ErrCorrupt, p.StorePath)
	}
	return p, nil
}

// Get reads the PathInfo of digest.
func (s *Service) Get(ctx context.Context, digest [storepath.DigestSize]byte) (*store.PathInfo, error) {
	k := s.key(digest)
	data, err := readAll(ctx, s.b, k)
	if err != nil {
		return nil, err
	}
	return decode(k, data)
}

func readAll(ctx context.Context, b *blob.Bucket, k string) ([]byte, error) {
	r, err := b.NewReader(ctx, k, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("path info %s: %w", k, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("path info %s: %w", k, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxObject+1))
	if err != nil {
		return nil, fmt.Errorf("path info %s: %w", k, err)
	}
	if len(data) > maxObject {
		return nil, fmt.Errorf("path info %s: %w: larger than %d bytes", k, store.ErrCorrupt, maxObject)
	}
	return data, nil
}

// Put writes info's object.
func (s *Service) Put(ctx context.Context, info *store.PathInfo) (*store.PathInfo, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	p := info.Clone()
	p.Normalize()
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(p.ToProto())
	if err != nil {
		return nil, err
	}
	k := s.key(p.StorePath.Digest)
	if err := s.b.WriteAll(ctx, k, data, &blob.WriterOptions{ContentType: "application/x-protobuf"}); err != nil {
		return nil, fmt.Errorf("path info %s: %w", k, err)
	}
	return p, nil
}

// List lists the pathinfo/ objects and reads each.
func (s *Service) List(ctx context.Context) iter.Seq2[*store.PathInfo, error] {
	return func(yield func(*store.PathInfo, error) bool) {
		it := s.b.List(&blob.ListOptions{Prefix: s.prefix + dir})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if obj.IsDir || strings.HasSuffix(obj.Key, ".tmp") {
				continue
			}
			data, err := readAll(ctx, s.b, obj.Key)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue // deleted since listed
				}
				yield(nil, err)
				return
			}
			info, err := decode(obj.Key, data)
			if !yield(info, err) || err != nil {
				return
			}
		}
	}
}

// Open opens the PathInfoService in the bucket an objectstore+ URL names,
// with the parameters castore/objectstore.Open takes (one URL names the
// whole store).
func Open(ctx context.Context, u *url.URL) (*Service, func() error, error) {
	b, err := cobjectstore.OpenBucket(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	return New(b.Bucket, b.Prefix), b.Close, nil
}
