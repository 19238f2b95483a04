package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// KV is a small persistent map in its own bucket of the store's database.
// Puts join the index's batches, so they cost no extra disk sync and become
// durable at the next flush (a crash may lose recent ones, never tear
// them); Gets see them at once. Used for caches, such as fsio's record of
// files already imported.
type KV struct {
	s      *Store
	bucket string
}

// KV returns the map called name (bucket "kv/NAME"), creating it.
func (s *Store) KV(name string) (*KV, error) {
	bucket := "kv/" + name
	exists := false
	s.db.view(func(tx *bolt.Tx) error {
		exists = tx.Bucket([]byte(bucket)) != nil
		return nil
	})
	if exists {
		return &KV{s: s, bucket: bucket}, nil
	}
	err := s.db.update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(bucket))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("castore: %w", err)
	}
	return &KV{s: s, bucket: bucket}, nil
}

// Get returns the value stored under key, or nil.
func (kv *KV) Get(key []byte) []byte {
	s := kv.s
	s.mu.Lock()
	v, ok := s.pending.kv[kv.bucket][string(key)]
	if !ok {
		v, ok = s.flushing.kv[kv.bucket][string(key)]
	}
	s.mu.Unlock()
	if ok {
		return v
	}
	s.db.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(kv.bucket)); b != nil {
			v = bytes.Clone(b.Get(key))
		}
		return nil
	})
	return v
}

// Put records value under key; both are copied.
func (kv *KV) Put(key, value []byte) error {
	s := kv.s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("castore: store is closed")
	}
	m := s.pending.kv[kv.bucket]
	if m == nil {
		m = make(map[string][]byte)
		s.pending.kv[kv.bucket] = m
	}
	m[string(key)] = bytes.Clone(value)
	full := s.pending.entries() >= s.opts.FlushEntries
	s.mu.Unlock()
	if full {
		return s.flush(context.Background(), nil)
	}
	return nil
}
