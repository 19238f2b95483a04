package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/govix/govix/castore"
)

// chunkStore is the chunked.Store of a local store.
type chunkStore struct{ s *Store }

// lookup finds a chunk: among the uncommitted entries first, then in the
// index.
func (s *Store) lookup(d castore.Digest) (location, bool, error) {
	s.mu.Lock()
	l, ok := s.pending.chunks[d]
	if !ok {
		l, ok = s.flushing.chunks[d]
	}
	s.mu.Unlock()
	if ok {
		return l, true, nil
	}
	if l, ok := s.locs.get(d); ok {
		return l, true, nil
	}
	var err error
	err = s.db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketChunks).Get(d[:])
		if v == nil {
			return nil
		}
		ok = true
		l, err = decodeLocation(v)
		return err
	})
	if ok && err == nil {
		s.locs.put(d, l)
	}
	return l, ok, err
}

// TrustsManifests tells chunked that a manifest in the index hashes to its
// blob: Put records one only after hashing the whole blob. Readers check
// each chunk against its digest but need not hash the blob again.
func (chunkStore) TrustsManifests() bool { return true }

func (c chunkStore) HasChunk(_ context.Context, d castore.Digest) (bool, error) {
	_, ok, err := c.s.lookup(d)
	return ok, err
}

func (c chunkStore) ReadChunk(_ context.Context, d castore.Digest, buf []byte) ([]byte, error) {
	l, ok, err := c.s.lookup(d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("chunk %s: %w", d, castore.ErrNotFound)
	}
	n := headerSize + int(l.length)
	s := c.s
	s.readMu.RLock()
	defer s.readMu.RUnlock()
	pf, err := s.reader(l.pack)
	if err != nil {
		return nil, err
	}
	rec, err := pf.bytes(l.offset-headerSize, n)
	mapped := err == nil
	if errors.Is(err, errNotMapped) {
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		rec = buf[:n]
		_, err = pf.f.ReadAt(rec, l.offset-headerSize)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("chunk %s: %w: pack %s is shorter than the index says", d, castore.ErrCorrupt, packName(l.pack))
		}
		return nil, fmt.Errorf("chunk %s: %w", d, err)
	}
	if binary.BigEndian.Uint32(rec) != recordMagic || binary.BigEndian.Uint32(rec[4:]) != l.length || !bytes.Equal(rec[8:headerSize], d[:]) {
		return nil, fmt.Errorf("chunk %s: %w: bad record header in pack %s at offset %d", d, castore.ErrCorrupt, packName(l.pack), l.offset-headerSize)
	}
	if mapped {
		// Copied out while the mapping is held.
		return append(buf, rec[headerSize:]...), nil
	}
	// Move the bytes to the front so the caller's buffer is reused as is.
	copy(rec, rec[headerSize:])
	return rec[:l.length], nil
}

func (c chunkStore) WriteChunk(ctx context.Context, d castore.Digest, data []byte) error {
	s := c.s
	if len(data) > maxChunkSize {
		return fmt.Errorf("castore: chunk of %d bytes is too large", len(data))
	}
	var hdr [headerSize]byte
	binary.BigEndian.PutUint32(hdr[0:], recordMagic)
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(data)))
	copy(hdr[8:], d[:])

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("castore: store is closed")
	}
	if _, ok := s.pending.chunks[d]; ok {
		s.mu.Unlock()
		return nil
	}
	need := int64(headerSize + len(data))
	w, err := s.writer(need)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	// Written under the lock: an entry must not be visible before its
	// bytes are in the file. A write is a copy into the page cache.
	_, err = w.f.WriteAt(hdr[:], w.size)
	if err == nil {
		_, err = w.f.WriteAt(data, w.size+headerSize)
	}
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("castore: writing pack: %w", err)
	}
	s.pending.chunks[d] = location{pack: w.id, offset: w.size + headerSize, length: uint32(len(data))}
	w.size += need
	s.pending.packs[w.id] = w.f
	s.pending.lengths[w.id] = w.size
	s.pending.bytes += need
	full := s.pending.entries() >= s.opts.FlushEntries || s.pending.bytes >= s.opts.FlushBytes
	var wbFile *os.File
	var wbOff, wbLen int64
	if w.size-w.flushed >= writebackEvery {
		wbFile, wbOff, wbLen = w.f, w.flushed, w.size-w.flushed
		w.flushed = w.size
	}
	s.mu.Unlock()
	if wbFile != nil {
		startWriteback(wbFile, wbOff, wbLen)
	}
	if full {
		return s.flush(ctx, nil)
	}
	return nil
}

func (c chunkStore) Manifest(_ context.Context, d castore.Digest) ([]castore.ChunkMeta, error) {
	s := c.s
	s.mu.Lock()
	m, ok := s.pending.manifests[d]
	if !ok {
		m, ok = s.flushing.manifests[d]
	}
	s.mu.Unlock()
	if !ok {
		err := s.db.view(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bucketManifests).Get(d[:]); v != nil {
				m, ok = bytes.Clone(v), true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if !ok {
		return nil, fmt.Errorf("manifest %s: %w", d, castore.ErrNotFound)
	}
	return decodeManifest(d, m)
}

func (c chunkStore) WriteManifest(_ context.Context, d castore.Digest, chunks []castore.ChunkMeta) error {
	m := encodeManifest(chunks)
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("castore: store is closed")
	}
	s.pending.manifests[d] = m
	return nil
}

// A manifest is each chunk's digest followed by its size as a uvarint.
func encodeManifest(chunks []castore.ChunkMeta) []byte {
	b := make([]byte, 0, len(chunks)*(castore.DigestSize+3))
	for _, c := range chunks {
		b = append(b, c.Digest[:]...)
		b = binary.AppendUvarint(b, c.Size)
	}
	return b
}

func decodeManifest(d castore.Digest, b []byte) ([]castore.ChunkMeta, error) {
	var out []castore.ChunkMeta
	for len(b) > 0 {
		if len(b) < castore.DigestSize+1 {
			return nil, fmt.Errorf("manifest %s: %w: truncated", d, castore.ErrCorrupt)
		}
		var c castore.ChunkMeta
		copy(c.Digest[:], b)
		b = b[castore.DigestSize:]
		size, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("manifest %s: %w: bad size", d, castore.ErrCorrupt)
		}
		c.Size = size
		b = b[n:]
		out = append(out, c)
	}
	return out, nil
}

// dirStore is the castore.DirectoryStore of a local store.
type dirStore struct{ s *Store }

func (ds dirStore) GetDirectory(_ context.Context, d castore.Digest) ([]byte, error) {
	var b []byte
	err := ds.s.db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketDirectories).Get(d[:]); v != nil {
			b = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("directory %s: %w", d, castore.ErrNotFound)
	}
	return b, nil
}

// PutDirectories commits a closure in one transaction, after making every
// blob written so far durable.
func (ds dirStore) PutDirectories(ctx context.Context, closure []castore.EncodedDirectory) error {
	// Most of a re-imported tree is stored already; a write transaction
	// (and its disk sync) is only needed for the rest, and commits the
	// blobs written before (which the directories may name) with them.
	var todo []castore.EncodedDirectory
	ds.s.db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDirectories)
		for _, e := range closure {
			if b.Get(e.Digest[:]) == nil {
				todo = append(todo, e)
			}
		}
		return nil
	})
	if len(todo) == 0 {
		return ds.s.flush(ctx, nil)
	}
	return ds.s.flush(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDirectories)
		for _, e := range todo {
			if err := b.Put(e.Digest[:], e.Bytes); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c chunkStore) ChunkSize(_ context.Context, d castore.Digest) (uint64, error) {
	l, ok, err := c.s.lookup(d)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("chunk %s: %w", d, castore.ErrNotFound)
	}
	return uint64(l.length), nil
}
