package local

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/govix/govix/store"
)

// PutBatch stores many PathInfos in one durable transaction, together
// with everything the castore holds, as Put does for one. Writers that
// create thousands of small paths at once (an evaluation's store
// derivations) pay for one sync instead of one each.
func (s *Service) PutBatch(ctx context.Context, infos []*store.PathInfo) error {
	type entry struct{ k, v []byte }
	entries := make([]entry, 0, len(infos))
	for _, info := range infos {
		if err := info.Validate(); err != nil {
			return err
		}
		p := info.Clone()
		p.Normalize()
		v, err := proto.MarshalOptions{Deterministic: true}.Marshal(p.ToProto())
		if err != nil {
			return err
		}
		entries = append(entries, entry{bytes.Clone(p.StorePath.Digest[:]), v})
	}
	err := s.db.Update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		for _, e := range entries {
			if err := b.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing %d path infos: %w", len(infos), err)
	}
	return nil
}
